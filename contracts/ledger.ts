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

/** The day-close workflow's type, started by name by relays that predate the child workflow. */
export const DAY_CLOSE_WORKFLOW = 'dayClose';
export type DayCloseWorkflow = (input: DayCloseInput) => Promise<void>;

/**
 * The relay starts each day close as a child workflow (before: its activity started them). Relay
 * runs recorded before the change replay the old branch (`patched` is false there).
 */
export const DAY_CLOSE_AS_CHILD = 'ledger-day-close-as-child';

/** A day whose close the relay starts: the child's id and input, named by the activity (it has the config). */
export interface DayToClose {
  workflowId: string;
  input: DayCloseInput;
}

export interface RelayBatchResult {
  claimed: number;
  applied: number;
  /** Days first touched by this batch, returned when the relay starts their close itself. */
  daysToClose?: DayToClose[];
}

/** The one outbox relay per environment and task queue. */
export const outboxRelayId = (env: string, taskQueue: string): string => `${env}.outbox-relay-${taskQueue}`;

/**
 * Redis key (under the environment's prefix) the relay holds while its drain polls the outbox: the
 * API sends no wake signal then, as the next poll picks its entry up anyway (each signal costs the
 * Temporal server a workflow task). Released before the drain's last look, so a post that saw it
 * held is always found.
 */
export const relayDrainingKey = (taskQueue: string): string => `ledger:relay-draining:${taskQueue}`;

/** One day-close per merchant and day. */
export const dayCloseWorkflowId = (env: string, merchantId: string, day: string): string => `${env}.balance-${merchantId}-${day}`;

/** The relay's and the day close's steps (activities/ledger.ts implements them). */
export interface LedgerActivities {
  /**
   * One batch of the outbox: apply, publish, mark dispatched. The days it touches first are returned
   * (`closes: 'return'`) for the relay to start as children, or else started here (relays that
   * predate DAY_CLOSE_AS_CHILD).
   */
  relayOutboxBatch(limit: number, opts?: { closes: 'return' }): Promise<RelayBatchResult>;
  /** The relay started these days' close: later batches touching them leave them be. */
  markDayClosesStarted(days: { merchantId: string; day: string }[]): Promise<void>;
  closeLedgerDay(merchantId: string, day: string): Promise<void>;
}

/** Gateway authorizer of the `ledger` namespace: a merchant reads only their own ledger. */
export const ledgerChannelAuthorizer = (userId: string, merchantId: string): boolean => userId === merchantId;
/** The event on a ledger channel: the day's balances after the relay applied a batch. */
export const LEDGER_BALANCE_EVENT = 'ledger.balance';
