import { Worker } from '@temporalio/worker';
import { describe, expect, it, vi } from 'vitest';
import { purchaseRelayWakeSignal } from '../contracts/purchase';
import { useTimeSkipping } from '../test/support/temporal';
import { purchaseRelay } from './purchase-relay';
import { RELAY_HISTORY_EVENTS } from './relay-loop';

// Time-skipping: the purchase relay's tick backs off while the outbox is empty (its cost is a few
// workflow tasks a minute, whatever the volume), and an API whose start failed wakes it at once.
// A stub stands in for MySQL and the starts; test/purchases.e2e.test.ts and
// test/purchases-temporal-kill.e2e.test.ts run the real activity against the real servers.
describe('purchase relay (time-skipping test server)', () => {
  const ts = useTimeSkipping();

  it('backs off to maxIdleMs while the outbox is empty; a wake ticks at once and brings the tick back to idleMs', async () => {
    const ticks: number[] = [];
    let backlog = 0;
    const taskQueue = 'purchase-relay-backoff';
    const worker = await Worker.create({
      connection: ts.env.nativeConnection,
      taskQueue,
      workflowBundle: ts.bundle,
      activities: {
        async startAcceptedPurchases({ limit }: { limit: number }) {
          ticks.push(await ts.env.currentTimeMs());
          const found = Math.min(limit, backlog);
          backlog -= found;
          return { found, started: found };
        },
      },
    });
    const handle = await ts.env.client.workflow.start(purchaseRelay, {
      taskQueue,
      workflowId: 'ts.purchase-relay-backoff',
      args: [{ batchSize: 10, idleMs: 1_000, maxIdleMs: 8_000, minAgeMs: 1_000 }],
    });
    const gaps = (from: number) => ticks.slice(from + 1).map((t, i) => t - ticks[from + i]!);
    await worker.runUntil(async () => {
      await ts.env.sleep(25_000);
      // Ticks at 0, 2, 6, 14 and 22 s: the sleep doubles from idleMs up to maxIdleMs.
      expect(ticks.length).toBe(5);
      gaps(0).forEach((g, i) => expect(g).toBeGreaterThanOrEqual([2_000, 4_000, 8_000, 8_000][i]!));
      gaps(0).forEach((g, i) => expect(g).toBeLessThan([2_000, 4_000, 8_000, 8_000][i]! + 1_000));

      const woken = ticks.length;
      backlog = 3;
      await handle.signal(purchaseRelayWakeSignal);
      await vi.waitFor(() => expect(ticks.length).toBe(woken + 1), { timeout: 10_000 });
      expect(backlog).toBe(0);
      // The wake's tick found rows: the next one comes after idleMs, not after the backed-off 8 s.
      await ts.env.sleep(1_500);
      expect(ticks.length).toBe(woken + 2);
      expect(gaps(woken)[0]).toBeLessThan(1_500);
      await handle.terminate();
    });
  });

  it('continues as new once its history holds RELAY_HISTORY_EVENTS, so a starting worker replays little', async () => {
    const taskQueue = 'purchase-relay-history-bound';
    const worker = await Worker.create({
      connection: ts.env.nativeConnection,
      taskQueue,
      workflowBundle: ts.bundle,
      activities: { startAcceptedPurchases: async () => ({ found: 0, started: 0 }) },
    });
    const handle = await ts.env.client.workflow.start(purchaseRelay, {
      taskQueue,
      workflowId: 'ts.purchase-relay-history-bound',
      args: [{ batchSize: 10, idleMs: 1_000, maxIdleMs: 1_000, minAgeMs: 1_000 }],
    });
    const firstRun = ts.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    await worker.runUntil(async () => {
      // A tick is about six events (its task, the local activity's marker, the timer): the bound
      // comes after roughly 170 ticks (one a second here), well before the 500 that ended a run before it.
      await ts.env.sleep(300_000);
      expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
      const { events } = await firstRun.fetchHistory();
      expect(events!.length).toBeGreaterThanOrEqual(RELAY_HISTORY_EVENTS);
      expect(events!.length).toBeLessThan(RELAY_HISTORY_EVENTS + 20);
      await handle.terminate();
    });
  }, 90_000);
});
