// Probe: the most purchases per second the Temporal side alone allows on this machine, and what it
// costs in CPU. Runs the purchase's shape in Temporal terms (la-hop-workflows.ts › purchaseShape:
// eager start, three local activities and an upsert, the deadline timer, an outcome signal from a
// second client, one local activity and the final upsert) with activities that do nothing, closed
// loop at each concurrency, and reads the CPU this process (worker, both clients) and the dev server
// used per saga from /proc. What bench:purchases measures beyond this is the app's share.
// Usage: node --import tsx bench/probes/saga-shape.ts [seconds] [concurrency,…] [no-upserts]. Needs
// the dev server (:7233) with the PurchaseStatus search attribute (provisioning registers it);
// `no-upserts` leaves the two status upserts out, to see what keeping the status findable costs.
import { randomUUID } from 'node:crypto';
import { cpuDelta, cpuSnapshot } from '../lib/cpu';
import { goSignal, purchaseShape } from './la-hop-workflows';
import { probeWorker } from './probe-worker';

const seconds = Number(process.argv[2] ?? 15);
const levels = (process.argv[3] ?? '8,32').split(',').map(Number);
const upserts = process.argv[4] !== 'no-upserts';
// Starts are eager, as the API's are; the outcome signal comes over a connection of its own, as
// the results consumer's does.
const { taskQueue, worker, eagerClient: starter, client: signaller, close } = await probeWorker('saga-shape');

async function saga(): Promise<void> {
  const handle = await starter.workflow.start(purchaseShape, { args: [upserts], taskQueue, workflowId: `saga-shape-${randomUUID()}`, requestEagerStart: true });
  await handle.signal(goSignal);
  await handle.result();
}

await worker.runUntil(async () => {
  for (let i = 0; i < 20; i++) await saga(); // warm-up: the bundle, the connections, the JIT
  for (const concurrency of levels) {
    const before = cpuSnapshot();
    const mine = process.cpuUsage();
    const started = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - started < seconds * 1000) {
          await saga();
          done++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const own = process.cpuUsage(mine);
    const server = cpuDelta(before, cpuSnapshot()).get('Temporal server') ?? 0;
    const perSaga = (ms: number) => (ms / done).toFixed(1);
    console.log(
      `${upserts ? '' : 'no upserts, '}concurrency ${concurrency}: ${(done / elapsed).toFixed(1)} sagas/s; CPU per saga: this process (worker, clients) ${perSaga((own.user + own.system) / 1000)} ms, ` +
        `Temporal server ${perSaga(server * 1000)} ms; shares of one core: this process ${(((own.user + own.system) / 1e6 / elapsed) * 100).toFixed(0)} %, server ${((server / elapsed) * 100).toFixed(0)} %`,
    );
  }
});
await close();
