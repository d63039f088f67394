import { ApplicationFailure, condition, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import {
  cancelPurchaseUpdate,
  fulfillmentResultSignal,
  purchaseStateQuery,
  PURCHASE_INVALID,
  type FulfillmentResult,
  type PurchaseActivities,
  type PurchaseInput,
  type PurchaseMessage,
  type PurchaseState,
} from '../contracts/purchase';
import { rootMessage } from '../domain/root-cause';
import type { PurchaseStatus } from '../stores/purchases';

// The contract's names, for the callers that import them from here.
export {
  cancelPurchaseUpdate,
  fulfillmentResultSignal,
  purchaseStateQuery,
  PURCHASE_INVALID,
  purchaseWorkflowId,
  type FulfillmentResult,
  type PurchaseInput,
  type PurchaseMessage,
  type PurchaseState,
} from '../contracts/purchase';

type FinalResult = Exclude<FulfillmentResult, { kind: 'PROCESSING' }>;

// Local activities: each step is a short, idempotent write (MySQL, Redis, SNS), so running it in the
// worker that holds the workflow saves the server a schedule/dispatch round trip per step (the
// journey's latency is mostly those round trips). Retries and durability of the result still hold.
const steps = proxyLocalActivities<PurchaseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [PURCHASE_INVALID] },
});

/**
 * validate → PENDING → PurchaseRequested on SNS → fulfillment's result (signal) within a deadline →
 * COMPLETED / REJECTED / EXPIRED / CANCELLED. Every status reaches `user:{id}` once. After
 * publication, a deadline or a cancel publishes PurchaseCancelled so fulfillment releases what it
 * reserved.
 */
export async function purchase(input: PurchaseInput): Promise<PurchaseState> {
  const state: PurchaseState = { purchaseId: input.purchaseId, status: 'RECEIVED', timeline: [] };
  let processingSeen = false;
  let result = undefined as FinalResult | undefined; // set by the signal handler
  let cancelRequested: { reason?: string } | undefined;
  // Read through a function: signal and update handlers change these between awaits.
  const cancelled = () => cancelRequested;
  let published = false;

  const record = async (status: PurchaseStatus, detail?: string) => {
    const at = await steps.recordPurchaseStatus({ purchaseId: input.purchaseId, userId: input.userId, status, detail });
    state.status = status;
    if (detail !== undefined) state.reason = detail;
    state.timeline.push({ status, at });
  };
  const isFinal = () => ['COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED'].includes(state.status);

  setHandler(purchaseStateQuery, () => state);
  // The first final result wins; duplicates and late results change nothing.
  setHandler(fulfillmentResultSignal, (r) => {
    if (r.kind === 'PROCESSING') processingSeen = true;
    else result ??= r;
  });
  setHandler(
    cancelPurchaseUpdate,
    async (req) => {
      cancelRequested ??= req;
      await condition(isFinal);
      return state;
    },
    {
      validator: (_req: { reason?: string }) => {
        if (isFinal()) throw ApplicationFailure.nonRetryable(`purchase is already ${state.status}`, 'CancelNotAllowed');
        if (processingSeen || result)
          throw ApplicationFailure.nonRetryable('fulfillment has started; the purchase can no longer be cancelled', 'CancelNotAllowed');
      },
    },
  );

  const messageOf = (type: PurchaseMessage['type']): PurchaseMessage => ({
    type,
    purchaseId: input.purchaseId,
    userId: input.userId,
    productId: input.quote.productId,
    quantity: input.quote.quantity,
    totalCents: input.quote.totalCents,
  });

  try {
    await steps.validatePurchase({ userId: input.userId, quote: input.quote });
  } catch (err) {
    await record('REJECTED', rootMessage(err, 'validation failed'));
    return state;
  }
  if (cancelled()) {
    await record('CANCELLED', cancelled()?.reason ?? 'cancelled before publication');
    return state;
  }
  await record('PENDING');
  await steps.publishPurchaseMessage(messageOf('PurchaseRequested'));
  published = true;

  const deadline = Date.now() + input.resultTimeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    const woke =
      remaining > 0 &&
      (await condition(() => result !== undefined || cancelRequested !== undefined || (processingSeen && state.status === 'PENDING'), remaining));
    if (!woke) {
      await compensate();
      await record('EXPIRED', `no fulfillment result within ${Math.round(input.resultTimeoutMs / 1000)} s`);
      return state;
    }
    // An accepted cancel wins (it was accepted before fulfillment said it started).
    if (cancelled()) {
      await compensate();
      await record('CANCELLED', cancelled()?.reason ?? 'cancelled by the customer');
      return state;
    }
    // PROCESSING always precedes the outcome on the user's timeline, whatever order signals came in.
    if ((processingSeen || result) && state.status === 'PENDING') await record('PROCESSING');
    if (result) break;
  }
  const outcome = result as FinalResult;
  if (outcome.kind === 'COMPLETED') await record('COMPLETED');
  else await record('REJECTED', outcome.reason);
  return state;

  async function compensate(): Promise<void> {
    if (published) await steps.publishPurchaseMessage(messageOf('PurchaseCancelled'));
  }
}
