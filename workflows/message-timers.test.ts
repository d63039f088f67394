import { describe, expect, it } from 'vitest';
import type { MessageTimerActivities } from '../contracts/messages';
import { useTimeSkipping } from '../test/support/temporal';
import { messageDeadlineBucket, messageRelay } from './message-timers';

// Time-skipping: the deadline bucket waits for its slice to end however far away, fails what is
// due in its window in batches, and costs the server a couple of workflow tasks; the relay drains
// the outbox every tick and leaves the deadlines to the buckets. Stubs stand in for MySQL;
// test/messages-durability.e2e.test.ts runs the real activities against the real servers.
describe('message timers (time-skipping test server)', () => {
  const ts = useTimeSkipping();
  let n = 0;

  const workerWith = async (activities: MessageTimerActivities) => {
    const taskQueue = `msg-timers-${++n}`;
    return { taskQueue, worker: await ts.worker({ taskQueue, activities }) };
  };

  it('a bucket sleeps until its slice ends, then fails its window in batches (a few workflow tasks in all)', async () => {
    const calls: { from: number; to: number; at: number }[] = [];
    const { taskQueue, worker } = await workerWith({
      async expireMessages({ from, to }) {
        calls.push({ from, to, at: await ts.env.currentTimeMs() });
        return calls.length === 1 ? { failed: ['m1', 'm2'], more: true } : { failed: ['m3'], more: false };
      },
      relayMessageOutbox: () => Promise.reject(new Error('not used')),
    });
    const fireAt = (await ts.env.currentTimeMs()) + 2 * 60 * 60_000;
    const workflowId = `ts.msg-deadline-${n}`;
    const failed = await worker.runUntil(
      ts.env.client.workflow.execute(messageDeadlineBucket, { taskQueue, workflowId, args: [{ fireAt, sliceMs: 5_000, batch: 2 }] }),
    );
    expect(failed).toBe(3);
    expect(calls.map((c) => [c.from, c.to])).toEqual([
      [fireAt - 5_000, fireAt],
      [fireAt - 5_000, fireAt],
    ]);
    expect(calls[0]!.at).toBeGreaterThanOrEqual(fireAt);
    const history = await ts.env.client.workflow.getHandle(workflowId).fetchHistory();
    const tasks = (history.events ?? []).filter((e) => Number(e.eventType) === 7).length; // WORKFLOW_TASK_COMPLETED
    expect(tasks).toBeLessThanOrEqual(2);
  });

  it('a bucket whose time has passed fires at once', async () => {
    let called = 0;
    const { taskQueue, worker } = await workerWith({
      async expireMessages() {
        called++;
        return { failed: [], more: false };
      },
      relayMessageOutbox: () => Promise.reject(new Error('not used')),
    });
    const before = await ts.env.currentTimeMs();
    const workflowId = `ts.msg-deadline-${n}`;
    await worker.runUntil(
      ts.env.client.workflow.execute(messageDeadlineBucket, { taskQueue, workflowId, args: [{ fireAt: before - 60_000, sliceMs: 5_000, batch: 10 }] }),
    );
    expect(called).toBe(1);
    const history = await ts.env.client.workflow.getHandle(workflowId).fetchHistory();
    expect((history.events ?? []).filter((e) => Number(e.eventType) === 17)).toEqual([]); // no TIMER_STARTED
  });

  it('the relay drains the outbox each tick until a batch is short, and expires nothing itself', async () => {
    const relayed: number[] = [];
    let expired = 0;
    let backlog = 25;
    const { taskQueue, worker } = await workerWith({
      async relayMessageOutbox({ limit }) {
        const claimed = Math.min(limit, backlog);
        backlog -= claimed;
        relayed.push(claimed);
        return { claimed };
      },
      async expireMessages() {
        expired++;
        return { failed: [], more: false };
      },
    });
    const handle = await ts.env.client.workflow.start(messageRelay, {
      taskQueue,
      workflowId: `ts.message-relay-${n}`,
      args: [{ batchSize: 10, idleMs: 2_000, minAgeMs: 1_000 }],
    });
    await worker.runUntil(async () => {
      await ts.env.sleep(7_000);
      await handle.terminate();
    });
    // First tick: 10 + 10 + 5 (a short batch ends the tick); then one empty claim per tick.
    expect(relayed.slice(0, 3)).toEqual([10, 10, 5]);
    expect(relayed.slice(3).every((c) => c === 0)).toBe(true);
    expect(relayed.length).toBeGreaterThanOrEqual(5); // at least three ticks in 7 s
    expect(expired).toBe(0);
  });
});
