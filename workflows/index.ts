// The workflow bundle's entry: every workflow type the worker runs is exported here.
export { eventFanOut } from './event-fan-out';
export { dayClose, outboxRelay } from './ledger';
export { message } from './message';
export { notification } from './notification';
export { ping } from './ping';
export { purchase } from './purchase';
