import { ApplicationFailure, condition, defineQuery, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { NotificationActivities } from '../activities/notifications';
import type { NotificationRequest } from '../domain/notification';
import { rootMessage } from '../domain/root-cause';
import type { NotificationStatus } from '../stores/notifications';

export interface NotificationInput {
  notification: NotificationRequest;
  /** Delivery attempts before the notification is dead-lettered. */
  maxAttempts: number;
}

export interface NotificationState {
  notificationId: string;
  status: NotificationStatus;
  sendAt: number;
  reason?: string;
}

/** One run per notification: Kafka redeliveries and API retries land on the same workflow. */
export const notificationWorkflowId = (env: string, id: string): string => `${env}.notification-${id}`;

export const notificationStateQuery = defineQuery<NotificationState>('notificationState');
/** Cancel while pending (SCHEDULED or DEFERRED); refused afterwards. */
export const cancelNotificationUpdate = defineUpdate<NotificationState>('cancelNotification');
/** New send time, earlier or later, while pending; refused afterwards. */
export const rescheduleNotificationUpdate = defineUpdate<NotificationState, [{ sendAt: number }]>('rescheduleNotification');

// Local activities: every step is short (a MySQL read or write, one publish), and a notification
// that fires with thousands of others due in the same minute costs the server one workflow task
// instead of one per step. Retries (with backoff) and the durability of results are unchanged.
const store = proxyLocalActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * eligibility → durable sleep until sendAt (cancel / reschedule wake it) → eligibility again (quiet
 * hours defer) → delivery by channel, retried → SENT, or after the last attempt a record on
 * `notifications.dlq` and FAILED.
 */
export async function notification({ notification: n, maxAttempts }: NotificationInput): Promise<NotificationState> {
  const state: NotificationState = { notificationId: n.notificationId, status: 'SCHEDULED', sendAt: Date.parse(n.sendAt) };
  let cancelled = false;
  let rescheduled = false;
  const pending = () => state.status === 'SCHEDULED' || state.status === 'DEFERRED';
  const onlyWhilePending = () => {
    if (!pending()) throw ApplicationFailure.nonRetryable(`notification is already ${state.status}`, 'NotPending');
  };
  const record = async (status: NotificationStatus, reason?: string) => {
    state.status = status;
    state.reason = reason;
    await store.recordNotificationStatus(n.notificationId, status, { reason, sendAt: state.sendAt });
  };

  setHandler(notificationStateQuery, () => state);
  setHandler(
    cancelNotificationUpdate,
    async () => {
      cancelled = true;
      await condition(() => !pending());
      return state;
    },
    { validator: onlyWhilePending },
  );
  setHandler(
    rescheduleNotificationUpdate,
    async ({ sendAt }) => {
      state.sendAt = sendAt;
      state.status = 'SCHEDULED';
      rescheduled = true;
      await store.recordNotificationStatus(n.notificationId, 'SCHEDULED', { sendAt });
      return state;
    },
    { validator: (_req: { sendAt: number }) => onlyWhilePending() },
  );

  const first = await store.checkEligibility(n.userId, n.channel, state.sendAt);
  if (!first.eligible) {
    await record('SKIPPED', first.reason);
    return state;
  }
  for (;;) {
    rescheduled = false;
    const wait = state.sendAt - Date.now();
    if (wait > 0) await condition(() => cancelled || rescheduled, wait);
    if (cancelled) {
      await record('CANCELLED');
      return state;
    }
    if (rescheduled) continue;
    const now = await store.checkEligibility(n.userId, n.channel, Date.now());
    if (!now.eligible) {
      await record('SKIPPED', now.reason);
      return state;
    }
    if (now.deferUntil !== null && now.deferUntil > Date.now()) {
      state.sendAt = now.deferUntil;
      await record('DEFERRED', 'quiet hours');
      continue;
    }
    break;
  }

  const deliver = proxyLocalActivities<NotificationActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: maxAttempts },
  });
  try {
    await deliver.deliverNotification(n);
  } catch (err) {
    const reason = `delivery failed after ${maxAttempts} attempts: ${rootMessage(err, 'unknown error')}`;
    await store.deadLetterNotification(n, reason);
    await record('FAILED', reason);
    return state;
  }
  await record('SENT');
  return state;
}
