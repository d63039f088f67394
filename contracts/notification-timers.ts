// The notification timers' contract: what the scheduler service, the bucket workflow and its
// activity agree on. Plain types and constants only.

export interface NotificationBucketInput {
  shard: number;
  /** When this bucket fires (ms since epoch): the end of its time slice. */
  fireAt: number;
  /** Rows claimed per local activity. */
  batch: number;
  /** Continue as new after this many batches in one run (keeps the history bounded). */
  maxBatchesPerRun?: number;
  /** Totals carried over from earlier runs of this bucket (continue-as-new). */
  carried?: BucketTotals;
}

export interface BucketTotals {
  batches: number;
  sent: number;
  deferred: number;
  skipped: number;
  retried: number;
  failed: number;
}

/** The bucket workflow's type, started by name. */
export const NOTIFICATION_BUCKET_WORKFLOW = 'notificationBucket';
export type NotificationBucketWorkflow = (input: NotificationBucketInput) => Promise<BucketTotals>;

/** What one batch of a bucket did, by notification id (kept in the bucket's history). */
export interface BucketFireResult {
  sent: string[];
  deferred: string[];
  skipped: string[];
  retried: string[];
  failed: string[];
  /** A full batch was claimed: there may be more due. */
  more: boolean;
}

/** The bucket's step (activities/notification-scheduler.ts implements it). */
export interface NotificationSchedulerActivities {
  fireDueNotifications(args: { shard: number; now: number; limit: number; bucketId: string }): Promise<BucketFireResult>;
}
