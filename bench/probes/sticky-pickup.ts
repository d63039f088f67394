// Probe: after a run's first workflow task, how long until the worker picks up the task a signal
// schedules (WorkflowTaskScheduled → WorkflowTaskStarted in the history). The purchase's outcome
// waits on exactly this. Eager and non-eager starts, one saga at a time, the signal sent once the
// first task is done. Usage: node --import tsx bench/probes/sticky-pickup.ts [runs] [gap ms]
import { randomUUID } from 'node:crypto';
import { goSignal, purchaseShape } from './la-hop-workflows';
import { probeWorker } from './probe-worker';

const runs = Number(process.argv[2] ?? 20);
const gapMs = Number(process.argv[3] ?? 100);
const { taskQueue, worker, eagerClient, client, close } = await probeWorker('sticky');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await worker.runUntil(async () => {
  for (const eager of [true, false, true, false]) {
    const pickup: number[] = [];
    for (let i = 0; i < runs; i++) {
      const handle = await (eager ? eagerClient : client).workflow.start(purchaseShape, {
        args: [false],
        taskQueue,
        workflowId: `sticky-${randomUUID()}`,
        ...(eager ? { requestEagerStart: true } : {}),
      });
      await sleep(gapMs); // the first task is done by then (at 100 ms)
      await client.workflow.getHandle(handle.workflowId).signal(goSignal);
      await handle.result();
      const { events } = await handle.fetchHistory();
      const times = (events ?? []).map((e) => ({ type: String(e.eventType), at: Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6 }));
      const signalled = times.findIndex((e) => e.type === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED' || e.type === '26');
      const started = times.slice(signalled).find((e) => e.type === 'EVENT_TYPE_WORKFLOW_TASK_STARTED' || e.type === '6');
      if (signalled >= 0 && started) pickup.push(started.at - times[signalled]!.at);
    }
    console.log(
      `gap ${gapMs} ms, ${eager ? 'eager start' : 'normal start'}: signal → second task started p50 ${median(pickup).toFixed(1)} ms (min ${Math.min(...pickup).toFixed(1)}, max ${Math.max(...pickup).toFixed(1)}, ${pickup.length} runs)`,
    );
  }
});
await close();
