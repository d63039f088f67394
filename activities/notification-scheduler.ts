import type { BucketFireResult, NotificationSchedulerActivities } from '../contracts/notification-timers';
import { eligibility } from '../domain/notification';
import { retryDelayMs } from '../domain/notification-buckets';
import { bucketFor, ensureBucket, type SchedulerDeps } from '../services/notification-scheduler';
import { claimDue, finishClaimed, loadPreferencesOf, releaseClaimed } from '../stores/notification-schedule';
import { createNotificationDelivery, type NotificationDeps } from './notifications';

export type NotificationSchedulerDeps = NotificationDeps & SchedulerDeps;

/** How many deliveries of one batch run at once. */
const DELIVERY_CONCURRENCY = 32;

async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export function createNotificationSchedulerActivities(deps: NotificationSchedulerDeps): NotificationSchedulerActivities {
  const { deliverNotification, deadLetterNotification } = createNotificationDelivery(deps);
  return {
    /**
     * Claims what is due in `shard` at `now` and fires it: eligibility again (preferences may have
     * changed; quiet hours defer to their end), delivery by channel strategy, then SENT, or a retry
     * in a later bucket, or after the last attempt the dead letter and FAILED. Delivery is keyed by
     * notification id (the web channel drops a repeat), so a batch retried after a crash does not
     * notify twice.
     */
    async fireDueNotifications({ shard, now, limit, bucketId }: { shard: number; now: number; limit: number; bucketId: string }): Promise<BucketFireResult> {
      const claimed = await claimDue(deps.mysql, shard, now, limit, bucketId);
      const result: BucketFireResult = { sent: [], deferred: [], skipped: [], retried: [], failed: [], more: claimed.length >= limit };
      if (claimed.length === 0) return result;
      const prefs = await loadPreferencesOf(deps.mysql, [...new Set(claimed.map((c) => c.n.userId))]);
      const skippedBy = new Map<string, string[]>();
      const later: { id: string; status: 'DEFERRED' | 'SCHEDULED'; sendAt: number; reason: string; countAttempt: boolean }[] = [];
      const dead: { id: string; reason: string }[] = [];

      await eachLimited(claimed, DELIVERY_CONCURRENCY, async ({ n, attempts }) => {
        const e = eligibility(prefs.get(n.userId), n.channel, now);
        if (!e.eligible) {
          skippedBy.set(e.reason, [...(skippedBy.get(e.reason) ?? []), n.notificationId]);
          return;
        }
        if (e.deferUntil !== null && e.deferUntil > now) {
          later.push({ id: n.notificationId, status: 'DEFERRED', sendAt: e.deferUntil, reason: 'quiet hours', countAttempt: false });
          return;
        }
        try {
          await deliverNotification(n);
          result.sent.push(n.notificationId);
        } catch (err) {
          const attempt = attempts + 1;
          const message = err instanceof Error ? err.message : String(err);
          if (attempt >= deps.config.NOTIFY_MAX_ATTEMPTS) {
            const reason = `delivery failed after ${attempt} attempts: ${message}`.slice(0, 255);
            await deadLetterNotification(n, reason);
            dead.push({ id: n.notificationId, reason });
          } else {
            later.push({
              id: n.notificationId,
              status: 'SCHEDULED',
              sendAt: now + retryDelayMs(attempt),
              reason: `attempt ${attempt} failed: ${message}`.slice(0, 255),
              countAttempt: true,
            });
          }
        }
      });

      await finishClaimed(deps.mysql, bucketId, result.sent, 'SENT');
      for (const [reason, ids] of skippedBy) {
        await finishClaimed(deps.mysql, bucketId, ids, 'SKIPPED', reason);
        result.skipped.push(...ids);
      }
      for (const d of dead) {
        await finishClaimed(deps.mysql, bucketId, [d.id], 'FAILED', d.reason);
        result.failed.push(d.id);
      }
      for (const l of later) {
        const b = bucketFor(deps.config, l.id, l.sendAt, now);
        // The bucket first, then the row: should the worker die between the two, the row is still
        // SENDING and is claimed again; the other order could leave a row no bucket will fire.
        await ensureBucket(deps, b.shard, b.fireAt, now);
        await releaseClaimed(deps.mysql, bucketId, l.id, { ...l, nextBucketId: b.workflowId });
        (l.status === 'DEFERRED' ? result.deferred : result.retried).push(l.id);
      }
      return result;
    },
  };
}

export type { BucketFireResult, NotificationSchedulerActivities };
