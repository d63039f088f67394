import { continueAsNew, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { BucketFireResult, BucketTotals, NotificationBucketInput, NotificationSchedulerActivities } from '../contracts/notification-timers';

export type { BucketTotals, NotificationBucketInput } from '../contracts/notification-timers';

const ZERO: BucketTotals = { batches: 0, sent: 0, deferred: 0, skipped: 0, retried: 0, failed: 0 };

// A local activity: one batch is a few MySQL statements and publishes, and running it inside the
// workflow task is what makes a whole bucket cost one or two workflow tasks. Retried until it
// succeeds: a claimed row is re-delivered under the same notification id, which is idempotent.
const scheduler = proxyLocalActivities<NotificationSchedulerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * Fires every notification of one shard that is due when the bucket's time comes, in batches, then
 * ends. The notifications themselves live in MySQL (status, send time, attempts); anything
 * rescheduled, deferred or retried is handed to the bucket of its new time by the activity, and a
 * cancelled one is simply not claimed. Each batch's result (the ids and what happened to them) is
 * in this run's history, which is how the Web UI answers "why did notification X fire".
 */
export async function notificationBucket(input: NotificationBucketInput): Promise<BucketTotals> {
  const totals = { ...ZERO, ...input.carried };
  const wait = input.fireAt - Date.now();
  if (wait > 0) await sleep(wait);
  const bucketId = workflowInfo().workflowId;
  for (let inRun = 0; ; inRun++) {
    if (inRun >= (input.maxBatchesPerRun ?? 200) || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof notificationBucket>({ ...input, carried: totals });
    }
    const r: BucketFireResult = await scheduler.fireDueNotifications({ shard: input.shard, now: Date.now(), limit: input.batch, bucketId });
    totals.batches++;
    totals.sent += r.sent.length;
    totals.deferred += r.deferred.length;
    totals.skipped += r.skipped.length;
    totals.retried += r.retried.length;
    totals.failed += r.failed.length;
    if (!r.more) return totals;
  }
}
