// Probe: what a local-activity hop and a signal-to-activity hop cost on this machine with the SDK
// alone (no API, gateway or consumers in the process): the floor under the purchase's two workflow
// tasks. Usage: node --import tsx bench/probes/la-hop.ts [runs]. Needs the dev server (:7233).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { goSignal, signalHop, threeHops } from './la-hop-workflows';

const runs = Number(process.argv[2] ?? 40);
const taskQueue = `probe-la-hop-${randomUUID().slice(0, 8)}`;
const marks: number[] = [];
const now = () => performance.now();
const activities = {
  async hop(n: number) {
    marks.push(now());
    return n;
  },
};

const nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
const worker = await Worker.create({
  connection: nativeConnection,
  taskQueue,
  workflowsPath: createRequire(import.meta.url).resolve('./la-hop-workflows.ts'),
  activities,
});
const client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' }) });
const eagerClient = new Client({ connection: nativeConnection as never });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `p50 ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)})`;

await worker.runUntil(async () => {
  for (const eager of [false, true]) {
    const toFirst: number[] = [],
      between: number[] = [],
      total: number[] = [];
    for (let i = 0; i < runs; i++) {
      marks.length = 0;
      const t0 = now();
      const h = await (eager ? eagerClient : client).workflow.start(threeHops, {
        taskQueue,
        workflowId: `hop-${randomUUID()}`,
        ...(eager ? { requestEagerStart: true } : {}),
      });
      await h.result();
      toFirst.push(marks[0]! - t0);
      between.push(marks[1]! - marks[0]!, marks[2]! - marks[1]!);
      total.push(now() - t0);
    }
    console.log(`threeHops${eager ? ' (eager start)' : ''}: start→first LA ${fmt(toFirst)}; LA→next LA ${fmt(between)}; start→result ${fmt(total)}`);
  }
  const signalToHop: number[] = [];
  for (let i = 0; i < runs; i++) {
    marks.length = 0;
    const h = await client.workflow.start(signalHop, { taskQueue, workflowId: `sig-${randomUUID()}` });
    await new Promise((r) => setTimeout(r, 30));
    const t0 = now();
    await h.signal(goSignal);
    await h.result();
    signalToHop.push(marks[0]! - t0);
  }
  console.log(`signalHop: signal sent→LA started ${fmt(signalToHop)}`);
});
await nativeConnection.close();
