// The purchase journey without a workflow per purchase (docs/purchase-journey.md): a purchase
// leaves through its outbox (the API's own dispatch right after the commit, the relay workflow as
// the durable backstop), fulfillment's results are applied in MySQL with forward-only conditional
// updates and pushed on the user's channel, and Temporal holds only the deadlines (one bucket
// workflow per time slice). Shared by the API, the results consumer and the activities.
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Client } from '@temporalio/client';
import type { SpanContext } from '@opentelemetry/api';
import type { Pool } from 'mysql2/promise';
import {
  PURCHASE_DEADLINE_BUCKET_WORKFLOW,
  PURCHASE_STATUS_EVENT,
  purchaseChannel,
  purchaseDeadlineBucketId,
  purchaseSliceEnd,
  type FulfillmentResult,
  type PurchaseDeadlineBucketWorkflow,
  type PurchaseMessage,
} from '../contracts/purchase';
import type { Publisher } from '../gateway/publisher';
import { topicArn } from '../platform/clients/aws';
import { createSnsBatchPublisher } from '../platform/clients/aws-batch';
import type { Config } from '../platform/config';
import { withTimeout } from '../platform/errors';
import { createCoalescingDispatcher } from '../platform/coalescing-dispatcher';
import type { Logger } from '../platform/logger';
import { namesOf } from '../platform/names';
import { continueTrace, contextFromTraceparent, inSpan, SpanKind } from '../platform/trace-context';
import { armWithNext } from './bucket-arming';
import { applyPurchaseResults, cancelOutboxPurchase, dispatchPurchaseOutbox, expirePurchaseDeadlines, type PurchaseHop } from '../stores/purchase-outbox';

export interface PurchaseDeliveryDeps {
  config: Config;
  mysql: Pool;
  sns: () => SNSClient;
  temporal: () => Promise<Client>;
  publisher: () => Publisher;
  /** Start deadline buckets with a start delay (default); off for the time-skipping test server. */
  startDelay?: boolean;
}

/** A dispatch must not hold its claim for long: past this, the rows go back to the relay. */
const SEND_TIMEOUT_MS = 5_000;

/** Pushes hops on their users' channels: each purchase's hops in order, purchases side by side. */
export async function pushHops(publisher: Publisher, hops: PurchaseHop[]): Promise<void> {
  const byPurchase = new Map<string, PurchaseHop[]>();
  for (const h of hops) byPurchase.set(h.purchaseId, [...(byPurchase.get(h.purchaseId) ?? []), h]);
  await Promise.all(
    [...byPurchase.values()].map(async (own) => {
      for (const h of own) {
        // Under the purchase's own trace (a dispatch or a deadline bucket serves many purchases).
        const { parent, links } = continueTrace(h.traceparent);
        await inSpan(`purchase ${h.status}`, { parent, links, attributes: { 'purchase.id': h.purchaseId, 'purchase.status': h.status } }, () =>
          publisher.publish(
            purchaseChannel(h.userId),
            PURCHASE_STATUS_EVENT,
            { purchaseId: h.purchaseId, status: h.status, detail: h.detail, at: new Date(h.at).toISOString() },
            // The same hop pushed again (a transaction retried after its push) is not shown twice.
            { countConnections: false, dedupeId: `purchase:${h.purchaseId}:${h.status}` },
          ),
        );
      }
    }),
  );
}

// The span that started each bucket (its workflow's spans are its children): the purchases that
// find their bucket armed already link to it, so each purchase's trace leads to its deadline.
const armedBy = new Map<string, { fireAt: number; span: SpanContext }>();

/** Makes sure the deadline bucket of the slice ending at `fireAt` exists (and arms the next one); returns its id. */
export async function ensurePurchaseDeadlineBucket(deps: PurchaseDeliveryDeps, fireAt: number, now = Date.now()): Promise<string> {
  const { config } = deps;
  return armWithNext(
    (at, ahead) => {
      const workflowId = purchaseDeadlineBucketId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE, at);
      return {
        workflowId,
        // The current slice's bucket is armed in the trace of the purchase that needed it; the next
        // slice's, armed ahead, in a trace of its own (no purchase of that slice exists yet).
        start: () =>
          inSpan(
            'purchase deadline arm',
            { root: ahead, attributes: { 'temporal.workflow_id': workflowId, 'purchase.deadline_slice_end': at } },
            async (span) => {
              armedBy.set(workflowId, { fireAt: at, span: span.spanContext() });
              if (armedBy.size > 10_000) for (const [id, e] of armedBy) if (e.fireAt < now) armedBy.delete(id);
              const client = await deps.temporal();
              await client.workflow.start<PurchaseDeadlineBucketWorkflow>(PURCHASE_DEADLINE_BUCKET_WORKFLOW, {
                taskQueue: config.TEMPORAL_TASK_QUEUE,
                workflowId,
                // Sleeping until its time: use it. Closed: its time has passed (a dispatch slower than the
                // deadline); a new run fires at once and expires what is overdue in its slice.
                workflowIdConflictPolicy: 'USE_EXISTING',
                workflowIdReusePolicy: 'ALLOW_DUPLICATE',
                ...(deps.startDelay === false ? {} : { startDelay: Math.max(0, at - now) }),
                args: [{ fireAt: at, sliceMs: config.PURCHASE_DEADLINE_BUCKET_MS, batch: config.MESSAGE_RELAY_BATCH }],
                memo: { fireAt: new Date(at).toISOString() },
              });
            },
          ),
      };
    },
    fireAt,
    config.PURCHASE_DEADLINE_BUCKET_MS,
  );
}

/** The deadline bucket of a purchase dispatched at `at` (for links in responses). */
export const purchaseBucketIdFor = (config: Config, at: number): string =>
  purchaseDeadlineBucketId(
    config.TIDINGS_ENV,
    config.TEMPORAL_TASK_QUEUE,
    purchaseSliceEnd(at + config.PURCHASE_RESULT_TIMEOUT_MS, config.PURCHASE_DEADLINE_BUCKET_MS),
  );

/**
 * Publishes each message under its purchase's trace (its outbox row's `traceparent`): the SNS
 * client puts that trace in the message attributes, and fulfillment continues it.
 */
async function publishAll(deps: PurchaseDeliveryDeps, messages: PurchaseMessage[], traceparents: (string | null)[], bucket?: string): Promise<void> {
  const topics = namesOf(deps.config).snsTopics;
  // One claim's messages leave in PublishBatch requests (ten per request): SNS requests, not
  // messages, are what the broker path runs out of first (docs/purchase-journey.md). Each entry
  // carries its own purchase's trace (taken when it is handed to the batch).
  const publish = createSnsBatchPublisher(deps.sns());
  const armedSpan = bucket ? armedBy.get(bucket)?.span : undefined;
  await Promise.all(
    messages.map((m, i) =>
      inSpan(
        `purchase dispatch ${m.type}`,
        {
          kind: SpanKind.INTERNAL,
          parent: contextFromTraceparent(traceparents[i]),
          attributes: { 'purchase.id': m.purchaseId, ...(bucket && m.type === 'PurchaseRequested' ? { 'purchase.deadline_bucket': bucket } : {}) },
          // The deadline bucket is shared by the purchases of its slice; its spans live in the trace
          // of the purchase that started it, and every other one links to them.
          links: armedSpan && m.type === 'PurchaseRequested' ? [{ context: armedSpan }] : [],
        },
        () => publish(topicArn(deps.config, (m.type === 'PurchaseRequested' ? topics.purchaseRequested : topics.purchaseCancelled).name), JSON.stringify(m)),
      ),
    ),
  );
}

/**
 * Hands outbox rows to fulfillment: validates each request (REJECTED with the reason, or PENDING),
 * arms the deadlines (the bucket of their slice), publishes to SNS, removes the rows and pushes,
 * all under the claim. Nothing goes to fulfillment without its deadline armed, and a failed send
 * keeps the rows.
 */
export async function dispatchPurchases(deps: PurchaseDeliveryDeps, which: { purchaseIds: string[] } | { olderThan: number; limit: number }) {
  const { config } = deps;
  const now = Date.now();
  const deadlineAt = now + config.PURCHASE_RESULT_TIMEOUT_MS;
  return dispatchPurchaseOutbox(
    deps.mysql,
    which,
    deadlineAt,
    (messages, traceparents) =>
      withTimeout(
        'dispatching purchases',
        SEND_TIMEOUT_MS,
        (async () => {
          const first = messages.findIndex((m) => m.type === 'PurchaseRequested');
          let bucket: string | undefined;
          if (first >= 0) {
            // Armed in the first request's trace: the bucket's workflow and activity spans join it.
            bucket = await inSpan('purchase deadline', { parent: contextFromTraceparent(traceparents[first]) }, () =>
              ensurePurchaseDeadlineBucket(deps, purchaseSliceEnd(deadlineAt, config.PURCHASE_DEADLINE_BUCKET_MS), now),
            );
          }
          await publishAll(deps, messages, traceparents, bucket);
        })(),
      ),
    (hops) => pushHops(deps.publisher(), hops),
  );
}

/** Applies fulfillment's results in MySQL and pushes what changed, before the commit. */
export async function applyResults(deps: Pick<PurchaseDeliveryDeps, 'mysql' | 'publisher'>, results: FulfillmentResult[]) {
  return applyPurchaseResults(deps.mysql, results, (hops) => pushHops(deps.publisher(), hops));
}

/** Cancels a purchase of the outbox design; pushes CANCELLED before the commit. */
export async function cancelPurchase(deps: Pick<PurchaseDeliveryDeps, 'mysql' | 'publisher'>, purchaseId: string, userId: string, reason: string) {
  return cancelOutboxPurchase(deps.mysql, purchaseId, userId, reason, (hops) => pushHops(deps.publisher(), hops));
}

/** EXPIRES the purchases due in (from, to] (a batch), pushes EXPIRED and sends their compensation. */
export async function expireDuePurchases(deps: PurchaseDeliveryDeps, window: { from: number; to: number; limit: number }) {
  const seconds = Math.round(deps.config.PURCHASE_RESULT_TIMEOUT_MS / 1000);
  const r = await expirePurchaseDeadlines(deps.mysql, { ...window, now: Date.now(), detail: `no fulfillment result within ${seconds} s` }, (hops) =>
    pushHops(deps.publisher(), hops),
  );
  // The compensation rows are committed: send them now, or the relay will.
  if (r.hops.length > 0) await dispatchPurchases(deps, { purchaseIds: r.hops.map((h) => h.purchaseId) }).catch(() => undefined);
  return r;
}

/** The API's own dispatch of the purchases it committed (the relay workflow is the backstop). */
export function createPurchaseDispatcher(deps: PurchaseDeliveryDeps & { log: Logger }) {
  return createCoalescingDispatcher({
    what: 'purchase',
    batch: deps.config.MESSAGE_RELAY_BATCH,
    log: deps.log,
    dispatch: (ids) => dispatchPurchases(deps, { purchaseIds: ids }),
  });
}

export type PurchaseDispatcher = ReturnType<typeof createPurchaseDispatcher>;
