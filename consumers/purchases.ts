// The purchase journey's consumers: fulfillment (SQS `purchase-processing`, fed by the SNS topics
// purchase-requested and purchase-cancelled) and the results consumer (SQS `purchase-results`):
// PROCESSING is applied in MySQL (forward only) and pushed, the outcome is signalled to the
// purchase's run (docs/purchase-journey.md).
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { Context } from '../runtime/context';
import { namesOf } from '../platform/names';
import { createSqsBatchSender } from '../platform/clients/aws-batch';
import { cancelContract, contractOf, effectContract } from '../stores/purchases';
import { fulfillmentOutcomeSignal, purchaseWorkflowId, type FulfillmentResult, type PurchaseMessage } from '../contracts/purchase';
import { movePurchaseAndPush } from '../services/purchase';
import { parseRecord } from './parse-record';
import { consumeSqs, type SqsSourceOptions } from './on-context';

const Message = z.object({
  type: z.enum(['PurchaseRequested', 'PurchaseCancelled']),
  purchaseId: z.uuid(),
  userId: z.string().min(1),
  productId: z.string().min(1),
  quantity: z.number().int().positive(),
  totalCents: z.number().int().nonnegative(),
});

const Result = z.discriminatedUnion('kind', [
  z.object({ purchaseId: z.uuid(), kind: z.literal('PROCESSING') }),
  z.object({ purchaseId: z.uuid(), kind: z.literal('COMPLETED') }),
  z.object({ purchaseId: z.uuid(), kind: z.literal('REJECTED'), reason: z.string() }),
]);

export interface PurchaseConsumerOptions {
  waitSeconds?: number;
  retryDelaySeconds?: number;
  /** Simulated fulfillment time (default FULFILLMENT_DELAY_MS): half before PROCESSING, half after. */
  delayMs?: number;
}

/** Both purchase consumers poll with SQS_POLLERS long polls. */
const sourceOf = (ctx: Context, opts: PurchaseConsumerOptions): SqsSourceOptions => ({
  waitSeconds: opts.waitSeconds,
  retryDelaySeconds: opts.retryDelaySeconds,
  pollers: ctx.config.SQS_POLLERS,
});

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * Fulfillment: says PROCESSING, effects the contract once per purchase (stock reserved and a
 * contract row in one transaction), and reports the outcome; a PurchaseCancelled releases it.
 */
export async function startFulfillment(ctx: Context, opts: PurchaseConsumerOptions = {}) {
  const sqs = ctx.sqs();
  let resultsUrl: string | undefined;
  // The handlers of one receive run together, so their reports leave in one batch request each
  // step (PROCESSING for all, then the outcomes) instead of two requests per purchase.
  const send = createSqsBatchSender(sqs, async () => {
    resultsUrl ??= (await sqs.send(new GetQueueUrlCommand({ QueueName: namesOf(ctx.config).queues.purchaseResults.name }))).QueueUrl;
    if (!resultsUrl) throw new Error('purchase-results queue has no URL');
    return resultsUrl;
  });
  const report = (result: FulfillmentResult) => send(JSON.stringify(result));
  const consumer = consumeSqs(ctx, 'fulfillment', namesOf(ctx.config).queues.purchaseProcessing.name, sourceOf(ctx, opts), async (body) => {
    const m: PurchaseMessage = parseRecord(Message, body, 'purchase message');
    if (m.type === 'PurchaseCancelled') {
      const done = await cancelContract(ctx.mysql(), m.purchaseId, m.productId);
      ctx.log.info({ purchaseId: m.purchaseId, done }, 'purchase compensated');
      return;
    }
    // A copy of a request already decided (the run publishes again while it hears nothing): the
    // decision again at once, without the processing time, so that copies piling up behind a slow
    // or restarted broker drain in milliseconds instead of holding the queue (seen in the soak).
    const decided = await contractOf(ctx.mysql(), m.purchaseId);
    if (decided) {
      if (decided.status === 'ACTIVE') await report({ purchaseId: m.purchaseId, kind: 'COMPLETED' });
      else if (decided.status === 'REJECTED') await report({ purchaseId: m.purchaseId, kind: 'REJECTED', reason: 'out of stock' });
      return;
    }
    // A real fulfillment takes a while (a queue, a credit check): the customer can still cancel
    // in the first half, while the purchase is PENDING.
    const delayMs = opts.delayMs ?? ctx.config.FULFILLMENT_DELAY_MS;
    await sleep(delayMs / 2);
    // PROCESSING goes out while the contract is effected (one broker round trip less per
    // receive); the outcome is reported only after it, so the user's timeline keeps its order.
    const processing = report({ purchaseId: m.purchaseId, kind: 'PROCESSING' });
    // Awaited below; until then a rejection (the SQS server down) must not count as unhandled,
    // which ends the process (seen in the soak: the consumers role died with moto).
    processing.catch(() => undefined);
    await sleep(delayMs / 2);
    const [outcome] = await Promise.all([effectContract(ctx.mysql(), m.purchaseId, m.productId, m.quantity), processing]);
    // A tombstone means the purchase was cancelled first: nothing to report.
    if (outcome.outcome === 'COMPLETED') await report({ purchaseId: m.purchaseId, kind: 'COMPLETED' });
    else if (outcome.outcome === 'REJECTED') await report({ purchaseId: m.purchaseId, kind: 'REJECTED', reason: outcome.reason });
  });
  return { stop: () => consumer.stop() };
}

/**
 * Results: PROCESSING is applied forward-only in MySQL and pushed (a cancel is refused from then
 * on); the outcome is signalled to the purchase's run, which records it. Duplicates and late
 * reports change nothing.
 */
export async function startPurchaseResults(ctx: Context, opts: PurchaseConsumerOptions = {}) {
  // Done before the handler returns: the runner deletes the SQS message only then, so a crash (or
  // MySQL or Temporal down) in between redelivers it, and the redelivery is a no-op.
  const consumer = consumeSqs(ctx, 'purchase-results', namesOf(ctx.config).queues.purchaseResults.name, sourceOf(ctx, opts), async (body) => {
    const result: FulfillmentResult = parseRecord(Result, body, 'fulfillment result');
    if (result.kind === 'PROCESSING')
      await movePurchaseAndPush({ mysql: ctx.mysql(), publisher: ctx.publisher }, { purchaseId: result.purchaseId, to: 'PROCESSING' });
    else await signalOutcome(result);
  });
  async function signalOutcome(result: Exclude<FulfillmentResult, { kind: 'PROCESSING' }>): Promise<void> {
    try {
      const client = await ctx.temporal();
      await client.workflow.getHandle(purchaseWorkflowId(ctx.config.TIDINGS_ENV, result.purchaseId)).signal(fulfillmentOutcomeSignal, result);
    } catch (err) {
      // The run already ended (expired or cancelled): its compensation handles the contract.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      ctx.log.info({ purchaseId: result.purchaseId, kind: result.kind }, 'result for a finished purchase dropped');
    }
  }
  return { stop: () => consumer.stop() };
}
