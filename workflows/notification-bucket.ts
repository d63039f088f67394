import { proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import {
  NOTIFICATION_BUCKET_WORKFLOW,
  type BucketTotals,
  type NotificationBucketInput,
  type NotificationSchedulerActivities,
} from '../contracts/notification-timers';
import { BATCH_ACTIVITY, deadlineBucket } from './deadline-bucket';

export type { BucketTotals, NotificationBucketInput } from '../contracts/notification-timers';

const ZERO: BucketTotals = { batches: 0, sent: 0, deferred: 0, skipped: 0, retried: 0, failed: 0 };

const scheduler = proxyLocalActivities<NotificationSchedulerActivities>(BATCH_ACTIVITY);

/**
 * Fires every notification of one shard that is due when the bucket's time comes, in batches, then
 * ends. The notifications themselves live in MySQL (status, send time, attempts); anything
 * rescheduled, deferred or retried is handed to the bucket of its new time by the activity, and a
 * cancelled one is simply not claimed. Each batch's result is in this run's history, which is how
 * the Web UI answers "why did notification X fire".
 */
export const notificationBucket = deadlineBucket(NOTIFICATION_BUCKET_WORKFLOW, {
  totals: (carried?: BucketTotals) => ({ ...ZERO, ...carried }),
  fire: (input: NotificationBucketInput) =>
    scheduler.fireDueNotifications({ shard: input.shard, now: Date.now(), limit: input.batch, bucketId: workflowInfo().workflowId }),
  add: (t, r) => ({
    batches: t.batches + 1,
    sent: t.sent + r.sent.length,
    deferred: t.deferred + r.deferred.length,
    skipped: t.skipped + r.skipped.length,
    retried: t.retried + r.retried.length,
    failed: t.failed + r.failed.length,
  }),
});
