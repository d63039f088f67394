// The purchase journey's contract: what the API, the workflow, its activities and the fulfillment
// consumers agree on. Plain types and constants only, so every side imports it and none imports another.
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

/** The purchase workflow's steps (activities/purchases.ts implements them). */
export interface PurchaseActivities {
  /** Product exists, terms possible, customer not blocked; a failure here is final (PURCHASE_INVALID). */
  validatePurchase(args: { userId: string; quote: Quote }): Promise<void>;
  /** Persists the status (timeline stamped once) and tells the user, once per status; returns when. */
  recordPurchaseStatus(args: { purchaseId: string; userId: string; status: PurchaseStatus; detail?: string }): Promise<string>;
  /** PurchaseRequested or PurchaseCancelled to its SNS topic; returns the message id. */
  publishPurchaseMessage(message: PurchaseMessage): Promise<string>;
}
