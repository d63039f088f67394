import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { rootMessage } from '../../domain/root-cause';
import { ImpossibleTermsError, quote, type Quote, type QuoteRequest } from '../../domain/purchase-quote';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { Client } from '@temporalio/client';
import type { Config } from '../../platform/config';
import type { Lifecycle } from '../../platform/lifecycle';
import type { Logger } from '../../platform/logger';
import { claimIdempotencyKey, requestHash } from '../../platform/db/idempotency';
import { inTransaction } from '../../platform/db/transaction';
import { DependencyUnavailableError, isUpdateAborted } from '../../platform/dependency-errors';
import { AppError, withTimeout } from '../../platform/errors';
import { createPurchaseStarter, startAcceptedPurchases } from '../../services/purchase';
import { insertAcceptedPurchase } from '../../stores/purchase-outbox';
import { getProduct, getPurchase, listPurchases } from '../../stores/purchases';
import { cancelPurchaseUpdate, purchaseWorkflowId, type PurchaseState } from '../../contracts/purchase';
import { cancelRefusal, isFinal } from '../../domain/purchase-status';
import { CATALOGUE_RULES } from '../openapi/document';
import { documentedRoutes, errors, idempotencyKeyHeader, idLink, idParam, jsonBody, success } from '../openapi/define';

export const PurchaseRequest = z.object({
  productId: z.string().min(1).max(64),
  quantity: z.number().int().positive().max(10_000),
  installments: z.number().int().min(1).max(120),
});
export const CancelRequest = z.object({ reason: z.string().max(200).optional() });
/**
 * `cursor` is the `nextCursor` of the previous page: `<created at, ms>.<purchase id>`. Opaque to
 * clients, but its pattern is the whole rule (stated in the OpenAPI document), so any string that
 * matches it is a valid position.
 */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ example: 20 }),
  cursor: z
    .string()
    .regex(/^\d{1,14}\.[0-9A-Za-z-]{1,64}$/, 'is not a cursor this API returned')
    .transform((s) => ({ createdAt: new Date(Number(s.slice(0, s.indexOf('.')))), purchaseId: s.slice(s.indexOf('.') + 1) }))
    .optional(),
});
export const purchasesCursor = (p: { createdAt: string; purchaseId: string }) => `${Date.parse(p.createdAt)}.${p.purchaseId}`;

const tags = ['purchases'];
const simulate = createRoute({
  method: 'post',
  path: '/simulate',
  tags,
  summary: 'Quote a purchase (synchronous, nothing recorded)',
  request: { body: jsonBody(PurchaseRequest, { productId: 'phone-x', quantity: 1, installments: 3 }) },
  [CATALOGUE_RULES]: true,
  responses: { 200: success('the quote'), ...errors(400, 422) },
});
const contract = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Contract a purchase (asynchronous: recorded with its outbox row, then one purchase workflow run)',
  request: { headers: idempotencyKeyHeader.required, body: jsonBody(PurchaseRequest, { productId: 'gift-card-100', quantity: 1, installments: 1 }) },
  [CATALOGUE_RULES]: true,
  responses: {
    202: success('accepted; purchaseId, status RECEIVED, statusUrl, temporalUi', {
      links: {
        GetPurchase: idLink('get /purchases/:id', 'the purchase and its status', '/purchaseId'),
        CancelPurchase: idLink('post /purchases/:id/cancel', 'cancel it', '/purchaseId'),
      },
    }),
    ...errors(400, 409, 422, 503),
  },
});
const list = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: "The caller's purchases, newest first, page by page",
  request: { query: ListQuery },
  responses: {
    200: success('purchases and nextCursor', {
      links: { GetFirstPurchase: idLink('get /purchases/:id', 'the first purchase listed', '/purchases/0/purchaseId') },
    }),
    ...errors(400),
  },
});
const get = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'A purchase and its status',
  request: { params: idParam() },
  responses: { 200: success('the purchase'), ...errors(404) },
});
const cancel = createRoute({
  method: 'post',
  path: '/{id}/cancel',
  tags,
  summary: 'Cancel a purchase that is still running, through its run (body optional)',
  request: { params: idParam(), body: jsonBody(CancelRequest, { reason: 'changed my mind' }, { optional: true }) },
  responses: { 200: success('the purchase after the cancel (CANCELLED already: the same answer again, Idempotent-Replayed)'), ...errors(400, 404, 409, 422) },
});

/** What the purchase routes use (not the whole process context). */
export interface PurchaseRouteDeps {
  config: Config;
  log: Logger;
  mysql: () => Pool;
  temporal: () => Promise<Client>;
  /** This process's own worker, when it runs one (purchases then start eagerly on it). */
  localWorkerClient?: () => Client | undefined;
  /** The starter is drained on shutdown. */
  lifecycle: Pick<Lifecycle, 'add'>;
}

/** `/purchases`: quote (sync), contract (async: one `purchase` workflow run each), status, cancel (through the run). */
/** How many times an aborted cancel Update is asked again before the client is told 503. */
const UPDATE_ABORT_RETRIES = 3;

export function purchaseRoutes(ctx: PurchaseRouteDeps) {
  const { config } = ctx;
  // The cancel Update under way in this process, per purchase. Until the run takes it, the SDK asks
  // the server again at every long poll (about 20 s), and it goes on after the request answered
  // 503: a retry joins that call rather than starting another beside it (one more per
  // 503-and-retry: 20 Update calls a second behind a backlog in the soak at 1.5× its rates,
  // docs/reliability.md). It ends when the run answers or ends.
  const cancelsUnderWay = new Map<string, Promise<PurchaseState>>();
  const startDeps = { config, mysql: ctx.mysql(), temporal: ctx.temporal, ...(ctx.localWorkerClient ? { localWorkerClient: ctx.localWorkerClient } : {}) };
  const starter = createPurchaseStarter({ ...startDeps, log: ctx.log, batch: config.PURCHASE_RELAY_BATCH });
  ctx.lifecycle.add('purchase starter', starter, async (s) => {
    s.stop();
    await s.drain();
  });
  /** `temporalUi`: the purchase's own run in the Temporal Web UI. */
  const links = (purchaseId: string) => ({
    statusUrl: `/purchases/${purchaseId}`,
    workflowId: purchaseWorkflowId(config.TIDINGS_ENV, purchaseId),
    temporalUi: workflowUiUrl(config, purchaseWorkflowId(config.TIDINGS_ENV, purchaseId)),
  });

  /** The quote, or 422 naming the field when the terms are impossible. */
  async function quoteFor(req: QuoteRequest): Promise<Quote> {
    const product = await getProduct(ctx.mysql(), req.productId);
    if (!product) throw new AppError(422, 'unknown_product', `no product ${req.productId}`, { field: 'productId' });
    try {
      return quote(product, req);
    } catch (err) {
      if (err instanceof ImpossibleTermsError) throw new AppError(422, 'impossible_terms', err.message, { field: err.field });
      throw err;
    }
  }

  const app = documentedRoutes();
  app.openapi(simulate, async (c) => c.json(await quoteFor(c.req.valid('json')), 200));
  app.openapi(contract, async (c) => {
    const { userId } = c.get('principal');
    const key = c.req.valid('header')['Idempotency-Key'];
    const body = c.req.valid('json');
    const q = await quoteFor(body);
    const fresh = randomUUID();
    const earlier = await inTransaction(ctx.mysql(), async (conn) => {
      const found = await claimIdempotencyKey(conn, { scope: 'purchases', principal: userId, key, hash: requestHash(body), resourceId: fresh });
      // The purchase, its RECEIVED stamp and its outbox row commit together: accepted means its
      // run will start, whether or not Temporal is up right now.
      if (!found) await insertAcceptedPurchase(conn, { purchaseId: fresh, userId, quote: q, at: new Date() });
      return found;
    });
    const purchaseId = earlier ?? fresh;
    // Started right after the commit (a replay kicks too: harmless, the workflow id is the claim);
    // the relay workflow starts it if this process cannot.
    starter.kick(purchaseId);
    // A replay answers exactly what the first request answered; the current status is at statusUrl.
    if (earlier) c.header('Idempotent-Replayed', 'true');
    return c.json({ purchaseId, status: 'RECEIVED', ...links(purchaseId) }, 202);
  });
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listPurchases(ctx.mysql(), c.get('principal').userId, limit + 1, cursor);
    const last = page.length > limit ? page[limit - 1] : undefined;
    return c.json(
      {
        purchases: page.slice(0, limit).map((p) => ({ ...p, ...links(p.purchaseId) })),
        nextCursor: last ? purchasesCursor(last) : null,
      },
      200,
    );
  });
  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const found = z.uuid().safeParse(id).success ? await getPurchase(ctx.mysql(), id, c.get('principal').userId) : undefined;
    if (!found) throw new AppError(404, 'not_found', `no purchase ${id}`, { field: 'id' });
    return c.json({ ...found, ...links(id) }, 200);
  });
  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    const found = z.uuid().safeParse(id).success ? await getPurchase(ctx.mysql(), id, c.get('principal').userId) : undefined;
    if (!found) throw new AppError(404, 'not_found', `no purchase ${id}`, { field: 'id' });
    // The body is optional: an empty POST cancels without a reason.
    const { reason } = c.req.valid('json');
    // Cancelled already: the answer of the cancel that did it. A cancel retried after a 503 (its
    // Update went through once a worker came back, and the run has ended) must not read as refused.
    if (found.status === 'CANCELLED') return cancelledAlready(found);
    if (isFinal(found.status)) throw new AppError(409, 'cannot_cancel', cancelRefusal(found.status), { status: found.status });
    const state = await cancelThroughRun(id, reason);
    if (state === 'CANCELLED') return cancelledAlready((await getPurchase(ctx.mysql(), id))!);
    return c.json({ purchaseId: id, status: state.status, reason: state.reason ?? null, ...links(id) }, 200);

    function cancelledAlready(p: { purchaseId: string; reason: string | null }) {
      c.header('Idempotent-Replayed', 'true');
      return c.json({ purchaseId: p.purchaseId, status: 'CANCELLED' as const, reason: p.reason, ...links(p.purchaseId) }, 200);
    }
  });
  return app;

  /** The run decides: it knows whether fulfillment started. A run not started yet (Temporal was down) is started first. */
  async function cancelThroughRun(id: string, reason: string | undefined) {
    const client = await ctx.temporal();
    const handle = client.workflow.getHandle(purchaseWorkflowId(config.TIDINGS_ENV, id));
    for (let attempt = 0; ; attempt++) {
      try {
        // One update id per purchase: a retried cancel (after a 503, or a double click) joins the
        // first instead of asking twice. Bounded: a run no worker picks up answers 503, not never.
        let update = cancelsUnderWay.get(id);
        if (!update) {
          update = handle.executeUpdate(cancelPurchaseUpdate, { args: [{ ...(reason === undefined ? {} : { reason }) }], updateId: `cancel-${id}` });
          cancelsUnderWay.set(id, update);
          const over = () => cancelsUnderWay.delete(id);
          update.then(over, over);
        }
        return await withTimeout('cancelling through the purchase run', config.PURCHASE_CANCEL_TIMEOUT_MS, update).catch((err: unknown) => {
          if (err instanceof Error && err.message.startsWith('cancelling through the purchase run timed out'))
            throw new DependencyUnavailableError('temporal', { cause: err, message: 'the purchase did not answer in time; retry the cancel shortly' });
          throw err;
        });
      } catch (err) {
        // The server dropped the Update with the workflow task that carried it (a signal raced it):
        // nothing was decided, so ask again; the next task may show the run ended (handled below).
        if (isUpdateAborted(err)) {
          if (attempt < UPDATE_ABORT_RETRIES) {
            await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
            continue;
          }
          throw new DependencyUnavailableError('temporal', {
            cause: err,
            message: 'the purchase could not take the cancel just now; retry the cancel shortly',
          });
        }
        if (err instanceof WorkflowUpdateFailedError) {
          const status = (await getPurchase(ctx.mysql(), id))?.status;
          if (status === 'CANCELLED') return 'CANCELLED' as const;
          throw new AppError(409, 'cannot_cancel', rootMessage(err, 'cancel refused'), { status });
        }
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        if (attempt === 0) {
          await startAcceptedPurchases(startDeps, { purchaseIds: [id] });
          continue;
        }
        // The run has ended since the status was read.
        const status = (await getPurchase(ctx.mysql(), id))?.status ?? 'COMPLETED';
        if (status === 'CANCELLED') return 'CANCELLED' as const;
        throw new AppError(409, 'cannot_cancel', cancelRefusal(status), { status });
      }
    }
  }
}
