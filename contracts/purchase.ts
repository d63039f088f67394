// The purchase journey's contract: what the API, the workflow, its activities and the fulfillment
// consumers agree on. Plain types and constants only, so every side imports it and none imports another.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Quote } from '../domain/purchase-quote';
import type { PurchaseStatus } from '../stores/purchases';

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

export interface PurchaseState {
  purchaseId: string;
  status: PurchaseStatus;
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

/** One run per purchase: the API's retries and duplicate starts land on the same workflow. */
export const purchaseWorkflowId = (env: string, purchaseId: string): string => `${env}.purchase-${purchaseId}`;

/** Validation failures are final: retrying cannot make a blocked customer unblocked. */
export const PURCHASE_INVALID = 'PurchaseInvalid';

/** Fulfillment's result for a purchase of the workflow design (runs started before the outbox design). */
export const fulfillmentResultSignal = defineSignal<[FulfillmentResult]>('fulfillmentResult');
export const purchaseStateQuery = defineQuery<PurchaseState>('purchaseState');
/** Cancels while fulfillment has not started; rejected (the caller gets 409) afterwards. */
export const cancelPurchaseUpdate = defineUpdate<PurchaseState, [{ reason?: string }]>('cancelPurchase');

/** The purchase workflow's steps (activities/purchases.ts implements them). */
export interface PurchaseActivities {
  /** Product exists, terms possible, customer not blocked; a failure here is final (PURCHASE_INVALID). */
  validatePurchase(args: { userId: string; quote: Quote }): Promise<void>;
  /** Persists the status (timeline stamped once) and tells the user, once per status; returns when. */
  recordPurchaseStatus(args: { purchaseId: string; userId: string; status: PurchaseStatus; detail?: string }): Promise<string>;
  /** PurchaseRequested or PurchaseCancelled to its SNS topic; returns the message id. */
  publishPurchaseMessage(message: PurchaseMessage): Promise<string>;
}

// The outbox design (docs/purchase-journey.md): Temporal holds only the deadlines (one bucket
// workflow per time slice) and the relay that sends what the API could not.

export interface PurchaseDeadlineBucketInput {
  /** The end of the bucket's time slice (ms since epoch): it expires what is due up to here. */
  fireAt: number;
  /** The slice's length: the bucket owns deadlines in (fireAt − sliceMs, fireAt]. */
  sliceMs: number;
  /** Rows per local activity. */
  batch: number;
  /** Expired by earlier runs of this bucket (continue-as-new). */
  carried?: number;
}

export interface PurchaseRelayInput {
  batchSize: number;
  /** The backstop tick. */
  idleMs: number;
  /** Outbox rows younger than this are left to the API's own dispatch. */
  minAgeMs: number;
}

export const PURCHASE_DEADLINE_BUCKET_WORKFLOW = 'purchaseDeadlineBucket';
export type PurchaseDeadlineBucketWorkflow = (input: PurchaseDeadlineBucketInput) => Promise<number>;

/** One bucket per task queue and slice end (the worker of that task queue runs it). */
export const purchaseDeadlineBucketId = (env: string, taskQueue: string, fireAt: number): string => `${env}.purchase-deadline-${taskQueue}-${fireAt}`;
/** The one purchase outbox relay per environment and task queue. */
export const purchaseRelayId = (env: string, taskQueue: string): string => `${env}.purchase-relay-${taskQueue}`;

/** The end of the slice a deadline falls in. */
export const purchaseSliceEnd = (deadlineAt: number, sliceMs: number): number => Math.ceil(deadlineAt / sliceMs) * sliceMs;

/** The timers' steps, run as local activities (activities/purchases.ts implements them). */
export interface PurchaseTimerActivities {
  /** EXPIRES what is still PENDING/PROCESSING with its deadline in (from, to] (a batch) and compensates it. */
  expirePurchases(args: { from: number; to: number; limit: number }): Promise<{ expired: string[]; more: boolean }>;
  /** Dispatches outbox rows older than `minAgeMs` (a batch); returns how many were claimed. */
  relayPurchaseOutbox(args: { limit: number; minAgeMs: number }): Promise<{ claimed: number }>;
}

/** The user's channel and the status event the purchase journey pushes on it. */
export const purchaseChannel = (userId: string): string => `user:${userId}`;
export const PURCHASE_STATUS_EVENT = 'purchase.status';
