import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Hono } from 'hono';
import { z } from 'zod';
import { rootMessage } from '../../domain/root-cause';
import { ImpossibleTermsError, quote, type Quote, type QuoteRequest } from '../../domain/purchase-quote';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Client } from '@temporalio/client';
import type { Publisher } from '../../gateway/publisher';
import type { Config } from '../../platform/config';
import type { Lifecycle } from '../../platform/lifecycle';
import type { Logger } from '../../platform/logger';
import { claimIdempotencyKey, idempotencyKeyFrom, requestHash } from '../../platform/db/idempotency';
import { inTransaction } from '../../platform/db/transaction';
import { AppError } from '../../platform/errors';
import { jsonBody, queryParams } from '../../platform/http/validate';
import { createPurchaseDispatcher, cancelPurchase, purchaseBucketIdFor } from '../../services/purchase-delivery';
import { insertOutboxPurchase } from '../../stores/purchase-outbox';
import { FINAL_STATUSES, getProduct, getPurchase, listPurchases } from '../../stores/purchases';
import { cancelPurchaseUpdate, purchaseWorkflowId } from '../../contracts/purchase';
import type { ApiVariables } from '../middleware/auth';

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
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^\d{1,14}\.[0-9A-Za-z-]{1,64}$/, 'is not a cursor this API returned')
    .transform((s) => ({ createdAt: new Date(Number(s.slice(0, s.indexOf('.')))), purchaseId: s.slice(s.indexOf('.') + 1) }))
    .optional(),
});
export const purchasesCursor = (p: { createdAt: string; purchaseId: string }) => `${Date.parse(p.createdAt)}.${p.purchaseId}`;

/** `/purchases`: quote (sync), contract (async through the `purchase` workflow), status, cancel. */
/** What the purchase routes use (not the whole process context). */
export interface PurchaseRouteDeps {
  config: Config;
  log: Logger;
  mysql: () => Pool;
  sns: () => SNSClient;
  temporal: () => Promise<Client>;
  publisher: () => Publisher;
  /** The dispatcher is drained on shutdown. */
  lifecycle: Pick<Lifecycle, 'add'>;
}

export function purchaseRoutes(ctx: PurchaseRouteDeps) {
  const { config } = ctx;
  const dispatcher = createPurchaseDispatcher({ ...ctx, mysql: ctx.mysql(), log: ctx.log });
  ctx.lifecycle.add('purchase dispatcher', dispatcher, async (d) => {
    d.stop();
    await d.drain();
  });
  /**
   * `temporalUi`: the run that holds the purchase's deadline (the bucket of its slice once
   * PurchaseRequested is out; before that, and in the POST answer, the bucket it is due in if sent
   * at once, so that every replay answers the same), or the purchase's own run for a purchase of the
   * workflow design.
   */
  type Timing = { journey: string; createdAt: number; deadlineAt: number | null };
  const links = (purchaseId: string, timing: Timing | undefined) => ({
    statusUrl: `/purchases/${purchaseId}`,
    temporalUi: workflowUiUrl(
      config,
      timing?.journey === 'workflow'
        ? purchaseWorkflowId(config.TIDINGS_ENV, purchaseId)
        : purchaseBucketIdFor(config, timing?.deadlineAt ? timing.deadlineAt - config.PURCHASE_RESULT_TIMEOUT_MS : (timing?.createdAt ?? Date.now())),
    ),
  });
  const timingOf = async (pool: Pool, ids: string[]): Promise<Map<string, Timing>> => {
    if (ids.length === 0) return new Map();
    const [rows] = await pool.query<RowDataPacket[]>('SELECT purchase_id, journey, created_at, deadline_at FROM purchases WHERE purchase_id IN (?)', [ids]);
    return new Map(
      rows.map((r) => [
        r.purchase_id as string,
        { journey: r.journey as string, createdAt: (r.created_at as Date).getTime(), deadlineAt: r.deadline_at ? (r.deadline_at as Date).getTime() : null },
      ]),
    );
  };

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

  return new Hono<{ Variables: ApiVariables }>()
    .post('/simulate', async (c) => c.json(await quoteFor(await jsonBody(c, PurchaseRequest))))
    .post('/', async (c) => {
      const { userId } = c.get('principal');
      const key = idempotencyKeyFrom(c.req.header('idempotency-key'), true)!;
      const body = await jsonBody(c, PurchaseRequest);
      const q = await quoteFor(body);
      const fresh = randomUUID();
      const at = new Date();
      const earlier = await inTransaction(ctx.mysql(), async (conn) => {
        const found = await claimIdempotencyKey(conn, { scope: 'purchases', principal: userId, key, hash: requestHash(body), resourceId: fresh });
        // The purchase, its RECEIVED stamp and its outbox row commit together: accepted means it will
        // reach fulfillment, whether or not SNS and Temporal are up right now.
        if (!found) await insertOutboxPurchase(conn, fresh, userId, q, at);
        return found;
      });
      const purchaseId = earlier ?? fresh;
      // Sent right after the commit (a replay kicks too: harmless, the row is claimed once); the
      // relay workflow sends it if this process cannot.
      dispatcher.kick(purchaseId);
      // A replay answers exactly what the first request answered (however many arrive at once); the
      // purchase's current status is at statusUrl.
      if (earlier) c.header('Idempotent-Replayed', 'true');
      const timing = (earlier && (await timingOf(ctx.mysql(), [purchaseId])).get(purchaseId)) || { journey: 'outbox', createdAt: at.getTime() };
      return c.json({ purchaseId, status: 'RECEIVED', ...links(purchaseId, { ...timing, deadlineAt: null }) }, 202);
    })
    .get('/', async (c) => {
      const { limit, cursor } = queryParams(c, ListQuery);
      const page = await listPurchases(ctx.mysql(), c.get('principal').userId, limit + 1, cursor);
      const last = page.length > limit ? page[limit - 1] : undefined;
      const timing = await timingOf(
        ctx.mysql(),
        page.map((p) => p.purchaseId),
      );
      return c.json({
        purchases: page.slice(0, limit).map((p) => ({ ...p, ...links(p.purchaseId, timing.get(p.purchaseId)) })),
        nextCursor: last ? purchasesCursor(last) : null,
      });
    })
    .get('/:id', async (c) => {
      const id = c.req.param('id');
      const found = z.uuid().safeParse(id).success ? await getPurchase(ctx.mysql(), id, c.get('principal').userId) : undefined;
      if (!found) throw new AppError(404, 'not_found', `no purchase ${id}`, { field: 'id' });
      return c.json({ ...found, ...links(id, (await timingOf(ctx.mysql(), [id])).get(id)) });
    })
    .post('/:id/cancel', async (c) => {
      const id = c.req.param('id');
      const found = z.uuid().safeParse(id).success ? await getPurchase(ctx.mysql(), id, c.get('principal').userId) : undefined;
      if (!found) throw new AppError(404, 'not_found', `no purchase ${id}`, { field: 'id' });
      // The body is optional: an empty POST cancels without a reason.
      const { reason } = await jsonBody(c, CancelRequest, { optional: true });
      if (FINAL_STATUSES.includes(found.status)) {
        throw new AppError(409, 'cannot_cancel', `purchase is already ${found.status}`, { status: found.status });
      }
      const done = await cancelPurchase({ mysql: ctx.mysql(), publisher: ctx.publisher }, id, found.userId, reason ?? 'cancelled by the customer');
      if (done.outcome === 'missing') throw new AppError(404, 'not_found', `no purchase ${id}`, { field: 'id' });
      if (done.outcome === 'refused') throw new AppError(409, 'cannot_cancel', done.reason, { status: done.status });
      if (done.outcome === 'cancelled') {
        // PurchaseCancelled (the compensation) is committed in the outbox: sent now, or by the relay.
        if (done.compensate) dispatcher.kick(id);
        return c.json({ purchaseId: id, status: 'CANCELLED', reason: done.hop.detail, ...links(id, (await timingOf(ctx.mysql(), [id])).get(id)) });
      }
      return cancelThroughRun(id, reason);
    });

  /** A purchase of the workflow design is cancelled by its run, which knows whether fulfillment started. */
  async function cancelThroughRun(id: string, reason: string | undefined) {
    const client = await ctx.temporal();
    try {
      const state = await client.workflow.getHandle(purchaseWorkflowId(config.TIDINGS_ENV, id)).executeUpdate(cancelPurchaseUpdate, { args: [{ reason }] });
      return new Response(
        JSON.stringify({
          purchaseId: id,
          status: state.status,
          reason: state.reason ?? null,
          ...links(id, { journey: 'workflow', createdAt: 0, deadlineAt: null }),
        }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new AppError(409, 'cannot_cancel', rootMessage(err, 'cancel refused'), {});
      }
      if (err instanceof WorkflowNotFoundError) throw new AppError(409, 'cannot_cancel', 'purchase is no longer running', {});
      throw err;
    }
  }
}
