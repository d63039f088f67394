// The workflow bundle's entry: every workflow type the worker runs is exported here.
export { emptyWorkflow } from './empty';
export { eventFanOut } from './event-fan-out';
export { dayClose, outboxRelay } from './ledger';
export { messageDeadlineBucket, messageRelay } from './message-timers';
export { notificationBucket } from './notification-bucket';
export { ping } from './ping';
export { purchase } from './purchase';
export { purchaseRelay } from './purchase-relay';
