import { createEventActivities, type EventDeps } from './events';
import { createLedgerActivities, type LedgerDeps } from './ledger';
import { createMessageActivities, type MessageDeps } from './messages';
import { createNotificationSchedulerActivities, type NotificationSchedulerDeps } from './notification-scheduler';
import { createPingActivities, type PingDeps } from './ping';
import { createPurchaseActivities, type PurchaseDeps } from './purchases';

/** Everything activities may talk to; tests hand in what they need. */
export type ActivityDeps = PingDeps & EventDeps & PurchaseDeps & LedgerDeps & NotificationSchedulerDeps & MessageDeps;

/** All activities the worker registers, grouped by the journey they serve. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPingActivities(deps),
    ...createEventActivities(deps),
    ...createPurchaseActivities(deps),
    ...createLedgerActivities(deps),
    ...createNotificationSchedulerActivities(deps),
    ...createMessageActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
