import { describe, expect, it, vi } from 'vitest';
import type { BucketFireResult } from '../../contracts/notification-timers';
import { useTimeSkipping } from './temporal';
import { uniqueId } from './context';

// The time-skipping server holds its clock on a workflow task sent to the sticky queue of a worker
// that has stopped. These two tests run in order: the first ends with a bucket still sleeping, as a
// test that does not wait for every bucket it started does; the second waits past that bucket's
// time. Without the harness terminating what the first test left, the second waits in wall time.
describe('time-skipping harness (real test server)', () => {
  const ts = useTimeSkipping();
  const taskQueue = uniqueId('ts-harness');
  const nothingDue: BucketFireResult = { sent: [], deferred: [], skipped: [], retried: [], failed: [], more: false };
  const worker = () =>
    ts.worker({
      taskQueue,
      activities: { fireDueNotifications: async () => nothingDue },
    });
  let start = 0;

  it('a test may end with a workflow still sleeping', async () => {
    start = await ts.env.currentTimeMs();
    const left = await (
      await worker()
    ).runUntil(async () => {
      const handle = await ts.env.client.workflow.start('notificationBucket', {
        taskQueue,
        workflowId: uniqueId('left-sleeping'),
        args: [{ shard: 0, fireAt: start + 3_600_000, batch: 2 }],
      });
      // Its first task ran on this worker (so the worker's sticky queue is the workflow's), and it sleeps.
      await vi.waitFor(async () => expect((await handle.describe()).historyLength).toBeGreaterThanOrEqual(5), { timeout: 10_000, interval: 50 });
      return handle.describe();
    });
    expect(left.status.name).toBe('RUNNING');
  });

  it('the next test still skips time past it', async () => {
    const result = await (
      await worker()
    ).runUntil(async () => {
      const handle = await ts.env.client.workflow.start('notificationBucket', {
        taskQueue,
        workflowId: uniqueId('waits-past'),
        args: [{ shard: 0, fireAt: start + 2 * 3_600_000, batch: 2 }],
      });
      // A deadline, not a wait: a held clock ends the race with 'clock held', which fails the expectation.
      return Promise.race([handle.result(), new Promise((resolve) => setTimeout(resolve, 20_000, 'clock held'))]);
    });
    expect(result).toMatchObject({ batches: 1, sent: 0 });
  }, 60_000);
});
