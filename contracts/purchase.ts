// The purchase journey's contract: what the API, the workflow, its activities and the fulfillment
// consumers agree on. Plain types and constants only, so every side imports it and none imports another.
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Quote } from '../domain/purchase-quote';
import { userChannel } from './channels';
import type { PurchaseStatus } from '../domain/purchase-status';

export type { PurchaseStatus } from '../domain/purchase-status';

export interface PurchaseInput {
  purchaseId: string;
  userId: string;
  quote: Quote;
  /** How long to wait for fulfillment's result before the purchase EXPIRES (and is compensated). */
  resultTimeoutMs: number;
}

/** What fulfillment reports, through the `purchase-results` queue and its consumer. */
export type FulfillmentResult =
  { purchaseId: string; kind: 'PROCESSING' } | { purchaseId: string; kind: 'COMPLETED' } | { purchaseId: string; kind: 'REJECTED'; reason: string };
/** The reports the workflow hears: the outcome. PROCESSING is applied in MySQL by the results consumer. */
export type FulfillmentOutcome = Exclude<FulfillmentResult, { kind: 'PROCESSING' }>;

export interface PurchaseState {
  purchaseId: string;
  status: PurchaseStatus;
  /** What the customer is told when it did not complete. */
  reason?: string;
  timeline: { status: PurchaseStatus; at: string }[];
}

/** The thing PurchaseRequested / PurchaseCancelled carry to fulfillment. */
export interface PurchaseMessage {
  type: 'PurchaseRequested' | 'PurchaseCancelled';
  purchaseId: string;
  userId: string;
  productId: string;
  quantity: number;
  totalCents: number;
}

/** One run per purchase: the API's retries, the relay and duplicate starts land on the same workflow. */
export const purchaseWorkflowId = (env: string, purchaseId: string): string => `${env}.purchase-${purchaseId}`;
export const PURCHASE_WORKFLOW = 'purchase';
export type PurchaseWorkflow = (input: PurchaseInput) => Promise<PurchaseState>;

/** Validation failures are final: retrying cannot make a blocked customer unblocked. */
export const PURCHASE_INVALID = 'PurchaseInvalid';
/** A cancel refused by the run (fulfillment started, or the purchase ended): the API answers 409. */
export const CANCEL_NOT_ALLOWED = 'CancelNotAllowed';

/** Fulfillment's outcome (COMPLETED or REJECTED), signalled by the results consumer. */
export const fulfillmentOutcomeSignal = defineSignal<[FulfillmentOutcome]>('fulfillmentOutcome');
export const purchaseStateQuery = defineQuery<PurchaseState>('purchaseState');
/** Cancels while fulfillment has not started; rejected (the caller gets 409) afterwards. */
export const cancelPurchaseUpdate = defineUpdate<PurchaseState, [{ reason?: string }]>('cancelPurchase');

/**
 * Search attributes of a purchase's run, so the Web UI finds "my purchases"
 * (`WorkflowType = "purchase" AND CustomerId = "alice"`) and those in a status. Registered by
 * provisioning (provision/temporal.ts) on the dev server and the cluster.
 */
export const CUSTOMER_ID_ATTRIBUTE = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const PURCHASE_STATUS_ATTRIBUTE = defineSearchAttributeKey('PurchaseStatus', 'KEYWORD');
/** Every custom search attribute the workflows use, by name and type (for provisioning). */
export const PURCHASE_SEARCH_ATTRIBUTES = [CUSTOMER_ID_ATTRIBUTE, PURCHASE_STATUS_ATTRIBUTE];

/** A status move a step asks for; refused (`moved: false`) when the purchase is past it. */
export interface PurchaseMove {
  purchaseId: string;
  userId: string;
  to: Exclude<PurchaseStatus, 'RECEIVED'>;
  /** The customer-facing reason of a final status. */
  detail?: string;
}
export interface MoveResult {
  moved: boolean;
  /** The purchase's status after the move (or the one that refused it). */
  status: PurchaseStatus;
  /** When each status it passed through was stamped (PROCESSING is brought along before an outcome). */
  stamped: { status: PurchaseStatus; at: string }[];
}

/** The purchase workflow's steps (activities/purchases.ts implements them), run as local activities. */
export interface PurchaseActivities {
  /** Product exists, terms unchanged and possible, customer not blocked; a failure here is final (PURCHASE_INVALID). */
  validatePurchase(args: { userId: string; quote: Quote }): Promise<void>;
  /** Moves the status forward in MySQL (never back) and pushes each status it stamps on `user:{id}`, once. */
  movePurchase(move: PurchaseMove): Promise<MoveResult>;
  /** PurchaseRequested or PurchaseCancelled to its SNS topic; returns the message id. */
  publishPurchaseMessage(message: PurchaseMessage): Promise<string>;
}

/** The outbox relay's step: starts the runs of purchases accepted more than `minAgeMs` ago and not started yet. */
export interface PurchaseRelayActivities {
  startAcceptedPurchases(args: { limit: number; minAgeMs: number }): Promise<{ started: number; found: number }>;
}

export interface PurchaseRelayInput {
  batchSize: number;
  /** The backstop tick while there is work, and right after a wake. */
  idleMs: number;
  /** Where the tick backs off to while the outbox stays empty (absent in runs started before it: `idleMs`). */
  maxIdleMs?: number;
  /** Outbox rows younger than this are left to the API's own start. */
  minAgeMs: number;
}

/** Sent by an API whose start failed: the relay ticks now instead of at its backed-off time. */
export const purchaseRelayWakeSignal = defineSignal('purchaseRelayWake');

/** The one purchase outbox relay per environment and task queue. */
export const purchaseRelayId = (env: string, taskQueue: string): string => `${env}.purchase-relay-${taskQueue}`;

/** A purchase's statuses go to its customer's own channel, with this event. */
export const purchaseChannel = userChannel;
export const PURCHASE_STATUS_EVENT = 'purchase.status';
