// Scheduling notifications on time-bucket workflows: shared by the API, the Kafka consumer and the
// bucket's own activity (deferrals and retries). A notification is a MySQL row; Temporal holds one
// bucket workflow per shard and time slice, started once (with a start delay, so a bucket costs
// the server a single workflow task when it fires, whatever it holds).
import type { Pool } from 'mysql2/promise';
import { eligibility, type NotificationRequest } from '../domain/notification';
import { bucketFireAt, bucketWorkflowId, shardOf } from '../domain/notification-buckets';
import type { Config } from '../platform/config';
import { currentTraceparent } from '../platform/trace-context';
import { cancelPending, insertScheduled, loadPreferencesOf, reschedulePending, type ScheduleRow } from '../stores/notification-schedule';
import { getNotification, type NotificationView } from '../stores/notifications';
import { NOTIFICATION_BUCKET_WORKFLOW, type NotificationBucketInput } from '../contracts/notification-timers';
import { armBucket, type BucketStartDeps } from './bucket-arming';

export interface SchedulerDeps extends BucketStartDeps {
  mysql: Pool;
}

/** Makes sure the bucket of `shard` firing at `fireAt` exists (one start per process); returns its workflow id. */
export async function ensureBucket(deps: SchedulerDeps, shard: number, fireAt: number, now = Date.now()): Promise<string> {
  const { config } = deps;
  const workflowId = bucketWorkflowId(config.TIDINGS_ENV, shard, fireAt);
  await armBucket<NotificationBucketInput>(
    deps,
    {
      workflowType: NOTIFICATION_BUCKET_WORKFLOW,
      workflowId,
      fireAt,
      input: { shard, fireAt, batch: config.NOTIFY_BATCH },
      memo: { shard, fireAt: new Date(fireAt).toISOString() },
    },
    now,
  );
  return workflowId;
}

/** The bucket a notification due at `sendAt` goes to, computed now. */
export function bucketFor(config: Config, notificationId: string, sendAt: number, now = Date.now()) {
  const shard = shardOf(notificationId, config.NOTIFY_SHARDS);
  const fireAt = bucketFireAt(sendAt, now, config.NOTIFY_BUCKET_MS, config.NOTIFY_BUCKET_MARGIN_MS);
  return { shard, fireAt, workflowId: bucketWorkflowId(config.TIDINGS_ENV, shard, fireAt) };
}

export interface Scheduled {
  notificationId: string;
  created: boolean;
}

/**
 * Records notifications (one INSERT for all of them) and ensures their buckets. Eligibility is
 * checked now (not opted in, muted, unknown user → SKIPPED at once) and again when they fire.
 * Idempotent by notification id: a repeat records nothing and changes nothing.
 */
export async function scheduleNotifications(
  deps: SchedulerDeps,
  items: NotificationRequest[],
  source: 'api' | 'kafka',
  now = Date.now(),
): Promise<Scheduled[]> {
  const wallStart = Date.now();
  const prefs = await loadPreferencesOf(deps.mysql, [...new Set(items.map((n) => n.userId))]);
  // The request's (or Kafka record's) trace, kept on each row: the trace view links it.
  const traceparent = currentTraceparent();
  const rows: ScheduleRow[] = items.map((n) => {
    const e = eligibility(prefs.get(n.userId), n.channel, now);
    const b = bucketFor(deps.config, n.notificationId, Date.parse(n.sendAt), now);
    return e.eligible
      ? { n, shard: b.shard, source, status: 'SCHEDULED', reason: null, bucketId: b.workflowId, traceparent }
      : { n, shard: b.shard, source, status: 'SKIPPED', reason: e.reason, bucketId: null, traceparent };
  });
  const created = await insertScheduled(deps.mysql, rows);
  // After the commit: each bucket's claim runs at its fire time, at least the margin after `now`,
  // so it sees these rows. Should the commit have taken most of the margin, a later bucket is
  // started as well; it claims the rows as overdue if the first one ran too early for them.
  // `now` may be a test server's skipped clock: measure the commit's duration, not the wall time.
  const after = now + (Date.now() - wallStart);
  const buckets = new Map<string, { shard: number; fireAt: number }>();
  for (const r of rows) {
    if (r.status !== 'SCHEDULED') continue;
    const b = bucketFor(deps.config, r.n.notificationId, Date.parse(r.n.sendAt), now);
    buckets.set(b.workflowId, b);
    if (b.fireAt - after < deps.config.NOTIFY_BUCKET_MARGIN_MS / 2) {
      const later = bucketFor(deps.config, r.n.notificationId, Date.parse(r.n.sendAt), after);
      buckets.set(later.workflowId, later);
    }
  }
  try {
    await Promise.all([...buckets.values()].map((b) => ensureBucket(deps, b.shard, b.fireAt, after)));
  } catch (err) {
    throw new SchedulerUnavailableError(err);
  }
  return items.map((n) => ({ notificationId: n.notificationId, created: created.has(n.notificationId) }));
}

/**
 * The rows are recorded but their bucket could not be started (Temporal unreachable). A retry with
 * the same notification ids completes it; meanwhile the next bucket of the shard to fire would also
 * pick the rows up as overdue.
 */
export class SchedulerUnavailableError extends Error {
  constructor(cause: unknown) {
    super('notifications recorded, but their timer could not be set (Temporal unreachable); retry with the same notificationId', { cause });
    this.name = 'SchedulerUnavailableError';
  }
}

/** Thrown when a notification is no longer pending (already sending, sent, cancelled, skipped, failed). */
export class NotPendingError extends Error {
  constructor(readonly notification: NotificationView) {
    super(`notification is already ${notification.status}`);
    this.name = 'NotPendingError';
  }
}

/** New send time (earlier, later, or in the past: then it fires at once); only while pending. */
export async function rescheduleNotification(deps: SchedulerDeps, id: string, sendAt: number, now = Date.now()): Promise<NotificationView | undefined> {
  const b = bucketFor(deps.config, id, sendAt, now);
  const moved = await reschedulePending(deps.mysql, id, sendAt, b.workflowId);
  const view = await getNotification(deps.mysql, id);
  if (!view) return undefined;
  if (!moved) throw new NotPendingError(view);
  await ensureBucket(deps, b.shard, b.fireAt, now);
  return view;
}

/** Cancels a pending notification; its bucket will not claim it. */
export async function cancelNotification(deps: SchedulerDeps, id: string): Promise<NotificationView | undefined> {
  const cancelled = await cancelPending(deps.mysql, id);
  const view = await getNotification(deps.mysql, id);
  if (!view) return undefined;
  if (!cancelled) throw new NotPendingError(view);
  return view;
}
