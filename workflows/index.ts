// The workflow bundle's entry: every workflow type the worker runs is exported here.
export { emptyWorkflow } from './empty';
export { eventFanOut } from './event-fan-out';
export { dayClose, outboxRelay } from './ledger';
// `message` (one run per message) stays registered so runs started before the redesign finish.
export { message } from './message';
export { messageDeadlineBucket, messageRelay } from './message-timers';
// `notification` (one run per notification) stays registered so runs started before the buckets finish.
export { notification } from './notification';
export { notificationBucket } from './notification-bucket';
export { ping } from './ping';
export { purchase } from './purchase';
export { purchaseRelay } from './purchase-relay';
