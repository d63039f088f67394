import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  CANCEL_NOT_ALLOWED,
  cancelPurchaseUpdate,
  fulfillmentOutcomeSignal,
  purchaseStateQuery,
  PURCHASE_INVALID,
  PURCHASE_STATUS_ATTRIBUTE,
  type FulfillmentOutcome,
  type PurchaseActivities,
  type PurchaseInput,
  type PurchaseMessage,
  type PurchaseMove,
  type PurchaseState,
} from '../contracts/purchase';
import { cancelRefusal, CUSTOMER_REJECTION, isFinal } from '../domain/purchase-status';
import { rootMessage } from '../domain/root-cause';

// Local activities: each step is a short, idempotent write (MySQL, Redis, SNS), so the steps of one
// workflow task run inside it: a purchase costs two workflow tasks (its start, and fulfillment's
// outcome or the deadline), not one per step. Each step is still a marker in the run's history.
const steps = proxyLocalActivities<PurchaseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [PURCHASE_INVALID] },
});

// While no outcome has come, PurchaseRequested goes out again, evenly spaced before the deadline: a
// broker that loses a copy (an SNS/SQS server restarted without its queues) would otherwise leave
// the purchase to expire. Fulfillment effects a purchase once (and never after its compensation),
// so a copy it already had changes nothing. The happy path stays two workflow tasks: the first
// slice's timer takes the deadline timer's place and the outcome cancels it.
// Once, at half the deadline: three copies a quarter apart (the first version, still replayed for
// the runs that took it) multiplied the load on a broker that was merely slow, which made it
// slower (the second 30-minute soak: moto saturated, 1,577 requests queued; docs/reliability.md).
const REPUBLISHES = 1;
const REPUBLISHES_V1 = 3;

/**
 * One run per purchase, a saga: validate → PENDING → PurchaseRequested on SNS → fulfillment's
 * outcome (a signal from the results consumer) within a deadline (this run's durable timer) →
 * COMPLETED / REJECTED, or EXPIRED / CANCELLED with the compensation (PurchaseCancelled, so
 * fulfillment releases what it reserved). Every status reaches `user:{id}` once, in order.
 * PROCESSING, fulfillment's "started", is applied in MySQL by the results consumer (a cancel is
 * refused from then on); the run hears only the outcome, so the happy path is two workflow tasks.
 */
export async function purchase(input: PurchaseInput): Promise<PurchaseState> {
  const { purchaseId, userId } = input;
  const state: PurchaseState = { purchaseId, status: 'RECEIVED', timeline: [] };
  let outcome: FulfillmentOutcome | undefined;
  // A cancel the update handler accepted, waiting for the main loop to carry it out, and its answer.
  let cancel: { reason: string; refused?: string; done?: boolean } | undefined;
  let published = false;
  // The starter sets PurchaseStatus (provisioning registers it); a run started without it (a
  // server without the attribute, such as the time-skipping test server) keeps none.
  const tracksStatus = workflowInfo().typedSearchAttributes.get(PURCHASE_STATUS_ATTRIBUTE) !== undefined;

  setHandler(purchaseStateQuery, () => state);
  // The first outcome wins; duplicates and late ones change nothing.
  setHandler(fulfillmentOutcomeSignal, (r) => {
    outcome ??= r;
  });
  setHandler(
    cancelPurchaseUpdate,
    async ({ reason }) => {
      cancel = { reason: reason ?? 'cancelled by the customer' };
      const mine = cancel;
      await condition(() => mine.done === true || mine.refused !== undefined);
      if (mine.refused !== undefined) throw ApplicationFailure.create({ message: mine.refused, type: CANCEL_NOT_ALLOWED, nonRetryable: true });
      return state;
    },
    {
      // Refused before it reaches the history: an ended purchase, one whose outcome has arrived, or
      // a second cancel while the first is under way.
      validator: (_req: { reason?: string }) => {
        if (isFinal(state.status)) throw ApplicationFailure.create({ message: cancelRefusal(state.status), type: CANCEL_NOT_ALLOWED });
        if (outcome) throw ApplicationFailure.create({ message: cancelRefusal('PROCESSING'), type: CANCEL_NOT_ALLOWED });
        if (cancel && !cancel.refused) throw ApplicationFailure.create({ message: 'a cancel is already under way', type: CANCEL_NOT_ALLOWED });
      },
    },
  );

  /** Moves the purchase (forward only, in MySQL, pushed to the user) and mirrors it here. */
  const move = async (to: PurchaseMove['to'], detail?: string): Promise<boolean> => {
    const r = await steps.movePurchase({ purchaseId, userId, to, ...(detail === undefined ? {} : { detail }) });
    for (const s of r.stamped) state.timeline.push(s);
    state.status = r.status;
    if (detail !== undefined && r.moved) state.reason = detail;
    if (tracksStatus) upsertSearchAttributes([{ key: PURCHASE_STATUS_ATTRIBUTE, value: state.status }]);
    return r.moved;
  };
  const message = (type: PurchaseMessage['type']): PurchaseMessage => ({
    type,
    purchaseId,
    userId,
    productId: input.quote.productId,
    quantity: input.quote.quantity,
    totalCents: input.quote.totalCents,
  });
  /** Carries out an accepted cancel; a refusal (fulfillment started meanwhile) is the update's answer. */
  const tryCancel = async (): Promise<boolean> => {
    const c = cancel!;
    if (await move('CANCELLED', c.reason)) {
      if (published) await steps.publishPurchaseMessage(message('PurchaseCancelled'));
      c.done = true;
      return true;
    }
    c.refused = cancelRefusal(state.status);
    cancel = undefined;
    return isFinal(state.status);
  };

  /**
   * The store says CANCELLED though this run finished no cancel: a workflow task that carried one
   * ran its steps (the move, perhaps the compensation) and then failed, a signal having raced its
   * completion, and the server dropped the Update with it (the client asks again and reads
   * CANCELLED). Its compensation may not have gone out: send it; fulfillment releases once.
   */
  const compensateCancelFoundInStore = async (): Promise<void> => {
    if (published && state.status === 'CANCELLED' && patched('compensate-cancel-found-in-store')) {
      await steps.publishPurchaseMessage(message('PurchaseCancelled'));
    }
  };

  /** The saga, top to bottom; it returns once the purchase reached a final status. */
  const saga = async (): Promise<void> => {
    try {
      await steps.validatePurchase({ userId, quote: input.quote });
    } catch (err) {
      // The operator's reason stays in this run's history (the activity failure); the customer is
      // told that the purchase was not approved.
      log.info('purchase rejected by validation', { purchaseId, reason: rootMessage(err, 'invalid') });
      await move('REJECTED', CUSTOMER_REJECTION);
      return;
    }
    if (cancel && (await tryCancel())) return;
    await move('PENDING');
    await steps.publishPurchaseMessage(message('PurchaseRequested'));
    published = true;

    // The deadline is this run's own durable timer: one condition, woken by an outcome or a cancel.
    const deadline = Date.now() + input.resultTimeoutMs;
    // Runs started before each version (no marker in their history) replay as they ran.
    const republishes = patched('republish-unanswered-purchase-once') ? REPUBLISHES : patched('republish-unanswered-purchases') ? REPUBLISHES_V1 : 0;
    const slice = Math.floor(input.resultTimeoutMs / (republishes + 1));
    let republished = 0;
    for (;;) {
      const remaining = deadline - Date.now();
      const wait = republished < republishes ? Math.min(slice, remaining) : remaining;
      const woke = remaining > 0 && (await condition(() => outcome !== undefined || cancel !== undefined, wait));
      if (!woke && republished < republishes && deadline - Date.now() > 0) {
        republished++;
        log.info('no fulfillment result yet: PurchaseRequested again', { purchaseId, copy: republished + 1 });
        await steps.publishPurchaseMessage(message('PurchaseRequested'));
        continue;
      }
      if (!woke) {
        if (await move('EXPIRED', `no fulfillment result within ${Math.round(input.resultTimeoutMs / 1000)} s`)) {
          await steps.publishPurchaseMessage(message('PurchaseCancelled'));
        } else await compensateCancelFoundInStore();
        return;
      }
      if (cancel && (await tryCancel())) return;
      if (outcome) break;
    }
    const result = outcome as FulfillmentOutcome;
    if (!(await move(result.kind, result.kind === 'REJECTED' ? result.reason : undefined))) await compensateCancelFoundInStore();
  };

  await saga();
  // A cancel's Update answers in the same task that finished the saga; let it before the run closes.
  await condition(allHandlersFinished);
  return state;
}
