import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { PurchaseTimerActivities } from '../contracts/purchase';
import { useTimeSkipping } from '../test/support/temporal';
import { purchaseDeadlineBucket, purchaseRelay } from './purchase-timers';

// Time-skipping: the purchase deadline bucket waits for its slice to end however far away, expires
// what is due in its window in batches, and costs the server at most two workflow tasks; the relay
// drains the outbox every tick. Stubs stand in for MySQL and SNS; test/purchases.e2e.test.ts runs
// the real activities against the real servers.
describe('purchase timers (time-skipping test server)', () => {
  const ts = useTimeSkipping();
  let n = 0;

  const workerWith = async (activities: PurchaseTimerActivities) => {
    const taskQueue = `purchase-timers-${++n}`;
    return { taskQueue, worker: await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.bundle, activities }) };
  };

  it('a bucket sleeps until its slice ends, then expires its window in batches (at most two workflow tasks)', async () => {
    const calls: { from: number; to: number; at: number }[] = [];
    const { taskQueue, worker } = await workerWith({
      async expirePurchases({ from, to }) {
        calls.push({ from, to, at: await ts.env.currentTimeMs() });
        return calls.length === 1 ? { expired: ['p1', 'p2'], more: true } : { expired: ['p3'], more: false };
      },
      relayPurchaseOutbox: () => Promise.reject(new Error('not used')),
    });
    const fireAt = (await ts.env.currentTimeMs()) + 2 * 60 * 60_000;
    const workflowId = `ts.purchase-deadline-${n}`;
    const expired = await worker.runUntil(
      ts.env.client.workflow.execute(purchaseDeadlineBucket, { taskQueue, workflowId, args: [{ fireAt, sliceMs: 5_000, batch: 2 }] }),
    );
    expect(expired).toBe(3);
    expect(calls.map((c) => [c.from, c.to])).toEqual([
      [fireAt - 5_000, fireAt],
      [fireAt - 5_000, fireAt],
    ]);
    expect(calls[0]!.at).toBeGreaterThanOrEqual(fireAt);
    const history = await ts.env.client.workflow.getHandle(workflowId).fetchHistory();
    const tasks = (history.events ?? []).filter((e) => Number(e.eventType) === 7).length; // WORKFLOW_TASK_COMPLETED
    expect(tasks).toBeLessThanOrEqual(2);
  });

  it('a bucket whose time has passed fires at once, without a timer', async () => {
    let called = 0;
    const { taskQueue, worker } = await workerWith({
      async expirePurchases() {
        called++;
        return { expired: [], more: false };
      },
      relayPurchaseOutbox: () => Promise.reject(new Error('not used')),
    });
    const before = await ts.env.currentTimeMs();
    const workflowId = `ts.purchase-deadline-${n}`;
    await worker.runUntil(
      ts.env.client.workflow.execute(purchaseDeadlineBucket, { taskQueue, workflowId, args: [{ fireAt: before - 60_000, sliceMs: 5_000, batch: 10 }] }),
    );
    expect(called).toBe(1);
    const history = await ts.env.client.workflow.getHandle(workflowId).fetchHistory();
    expect((history.events ?? []).filter((e) => Number(e.eventType) === 17)).toEqual([]); // no TIMER_STARTED
  });

  it('the relay drains the outbox each tick until a batch is short', async () => {
    const relayed: number[] = [];
    let backlog = 25;
    const { taskQueue, worker } = await workerWith({
      async relayPurchaseOutbox({ limit }) {
        const claimed = Math.min(limit, backlog);
        backlog -= claimed;
        relayed.push(claimed);
        return { claimed };
      },
      expirePurchases: () => Promise.reject(new Error('not used')),
    });
    const handle = await ts.env.client.workflow.start(purchaseRelay, {
      taskQueue,
      workflowId: `ts.purchase-relay-${n}`,
      args: [{ batchSize: 10, idleMs: 2_000, minAgeMs: 1_000 }],
    });
    await worker.runUntil(async () => {
      await ts.env.sleep(7_000);
      await handle.terminate();
    });
    // First tick: 10 + 10 + 5 (a short batch ends the tick); then one empty claim per tick.
    expect(relayed.slice(0, 3)).toEqual([10, 10, 5]);
    expect(relayed.length).toBeGreaterThan(3);
    expect(relayed.slice(3).every((c) => c === 0)).toBe(true);
  });
});
