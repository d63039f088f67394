import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Hono } from 'hono';
import { z } from 'zod';
import { rootMessage } from '../../domain/root-cause';
import { ImpossibleTermsError, quote, type Quote, type QuoteRequest } from '../../domain/purchase-quote';
import { startOnce, workflowUiUrl } from '../../platform/clients/temporal';
import type { Context } from '../../runtime/context';
import { claimIdempotencyKey, idempotencyKeyFrom, requestHash } from '../../platform/db/idempotency';
import { inTransaction } from '../../platform/db/transaction';
import { AppError } from '../../platform/errors';
import { jsonBody, queryParams } from '../../platform/http/validate';
import { FINAL_STATUSES, getProduct, getPurchase, insertPurchase, listPurchases } from '../../stores/purchases';
import { cancelPurchaseUpdate, purchase, purchaseWorkflowId } from '../../workflows/purchase';
import type { ApiVariables } from '../middleware/auth';

export const PurchaseRequest = z.object({
  productId: z.string().min(1).max(64),
  quantity: z.number().int().positive().max(10_000),
  installments: z.number().int().min(1).max(120),
});
export const CancelRequest = z.object({ reason: z.string().max(200).optional() });
/** `cursor` is the opaque `nextCursor` of the previous page. */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(200)
    .transform((s, ctx) => {
      const [at, purchaseId] = Buffer.from(s, 'base64url').toString().split('|');
      const createdAt = new Date(at ?? '');
      if (!purchaseId || Number.isNaN(createdAt.getTime())) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
        return z.NEVER;
      }
      return { createdAt, purchaseId };
    })
    .optional(),
});

/** `/purchases`: quote (sync), contract (async through the `purchase` workflow), status, cancel. */
export function purchaseRoutes(ctx: Context) {
  const { config } = ctx;
  const links = (purchaseId: string) => ({
    statusUrl: `/purchases/${purchaseId}`,
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

  async function startRun(purchaseId: string, userId: string, q: Quote, requestId: string): Promise<void> {
    try {
      await startOnce(await ctx.temporal(), purchase, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId: purchaseWorkflowId(config.TIDINGS_ENV, purchaseId),
        // The request that started the run: find its access log line from the Web UI and back.
        memo: { requestId },
        args: [{ purchaseId, userId, quote: q, resultTimeoutMs: config.PURCHASE_RESULT_TIMEOUT_MS }],
      });
    } catch (err) {
      throw new AppError(
        503,
        'temporal_unavailable',
        'the purchase is recorded but could not be started; retry with the same Idempotency-Key',
        {},
        { cause: err },
      );
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
      const earlier = await inTransaction(ctx.mysql(), async (conn) => {
        const found = await claimIdempotencyKey(conn, { scope: 'purchases', principal: userId, key, hash: requestHash(body), resourceId: fresh });
        if (!found) await insertPurchase(conn, fresh, userId, q);
        return found;
      });
      const purchaseId = earlier ?? fresh;
      // A replay starts the run too: the first request may have recorded the purchase and then
      // failed to start it (503); starting an existing run is a no-op.
      await startRun(purchaseId, userId, q, c.get('requestId'));
      // A replay answers exactly what the first request answered (however many arrive at once); the
      // purchase's current status is at statusUrl.
      if (earlier) c.header('Idempotent-Replayed', 'true');
      return c.json({ purchaseId, status: 'RECEIVED', ...links(purchaseId) }, 202);
    })
    .get('/', async (c) => {
      const { limit, cursor } = queryParams(c, ListQuery);
      const page = await listPurchases(ctx.mysql(), c.get('principal').userId, limit + 1, cursor);
      const last = page.length > limit ? page[limit - 1] : undefined;
      return c.json({
        purchases: page.slice(0, limit).map((p) => ({ ...p, ...links(p.purchaseId) })),
        nextCursor: last ? Buffer.from(`${last.createdAt}|${last.purchaseId}`).toString('base64url') : null,
      });
    })
    .get('/:id', async (c) => {
      const id = c.req.param('id');
      const found = z.uuid().safeParse(id).success ? await getPurchase(ctx.mysql(), id, c.get('principal').userId) : undefined;
      if (!found) throw new AppError(404, 'not_found', `no purchase ${id}`, { field: 'id' });
      return c.json({ ...found, ...links(id) });
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
      const client = await ctx.temporal();
      try {
        const state = await client.workflow.getHandle(purchaseWorkflowId(config.TIDINGS_ENV, id)).executeUpdate(cancelPurchaseUpdate, { args: [{ reason }] });
        return c.json({ purchaseId: id, status: state.status, reason: state.reason ?? null, ...links(id) });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          throw new AppError(409, 'cannot_cancel', rootMessage(err, 'cancel refused'), {});
        }
        if (err instanceof WorkflowNotFoundError) throw new AppError(409, 'cannot_cancel', 'purchase is no longer running', {});
        throw err;
      }
    });
}
