// The ledger's contract: what the API, the relay and day-close workflows and their activities agree
// on. Plain types and constants only.

export interface OutboxRelayInput {
  batchSize: number;
  /** The durable backstop: relay at least this often even if no hint arrives. */
  idleMs: number;
}

export interface DayCloseInput {
  merchantId: string;
  day: string;
  /** When the merchant's local day ends, plus the grace period (epoch ms). */
  closeAt: number;
}

/** The day-close workflow's type, started by name from the relay's activity. */
export const DAY_CLOSE_WORKFLOW = 'dayClose';
export type DayCloseWorkflow = (input: DayCloseInput) => Promise<void>;

/** The one outbox relay per environment and task queue. */
export const outboxRelayId = (env: string, taskQueue: string): string => `${env}.outbox-relay-${taskQueue}`;

/** One day-close per merchant and day. */
export const dayCloseWorkflowId = (env: string, merchantId: string, day: string): string => `${env}.balance-${merchantId}-${day}`;

/** The relay's and the day close's steps (activities/ledger.ts implements them). */
export interface LedgerActivities {
  /** One batch of the outbox: apply, publish, mark dispatched; then schedule the new days' close. */
  relayOutboxBatch(limit: number): Promise<{ claimed: number; applied: number }>;
  closeLedgerDay(merchantId: string, day: string): Promise<void>;
}

/** A merchant's live ledger channel: every day's balance as the relay applies entries to it. */
export const ledgerChannel = (merchantId: string): string => `ledger:${merchantId}`;
/** Gateway authorizer of the `ledger` namespace: a merchant reads only their own ledger. */
export const ledgerChannelAuthorizer = (userId: string, merchantId: string): boolean => userId === merchantId;
/** The event on a ledger channel: the day's balances after the relay applied a batch. */
export const LEDGER_BALANCE_EVENT = 'ledger.balance';
