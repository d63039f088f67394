// The fair baseline for the purchase benchmark: the same business work as Tidings, without
// Temporal, the way a team would hand-write it. The API validates (product, terms, customer not
// blocked: REJECTED with the reason), persists the purchase with its Idempotency-Key and deadline in
// one transaction, publishes PurchaseRequested to SNS and pushes PENDING; the same fulfillment
// consumer effects the contract and reports to `purchase-results`; a results consumer writes each
// result into the purchase row (forward-only, the same conditional update as Tidings) and pushes it;
// a deadline poller EXPIRES what is overdue and publishes PurchaseCancelled (compensation).
// What it does not have, and Tidings does: an outbox (a publish that fails after the commit is
// lost until someone notices), and a durable, observable timer per deadline slice.
import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { Hono } from 'hono';
import type { RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import { requireJwt, type ApiVariables } from '../../api/middleware/auth';
import { startFulfillment } from '../../consumers/purchases';
import { startSqsConsumer } from '../../consumers/sqs-runner';
import type { FulfillmentResult, PurchaseMessage } from '../../contracts/purchase';
import { ImpossibleTermsError, quote } from '../../domain/purchase-quote';
import { startGateway } from '../../gateway/server';
import { createTokenVerifier } from '../../platform/auth/jwt';
import { topicArn } from '../../platform/clients/aws';
import { loadConfig } from '../../platform/config';
import { claimIdempotencyKey, idempotencyKeyFrom, requestHash } from '../../platform/db/idempotency';
import { inTransaction } from '../../platform/db/transaction';
import { AppError } from '../../platform/errors';
import { listen } from '../../platform/http/serve';
import { jsonBody } from '../../platform/http/validate';
import { createLogger } from '../../platform/logger';
import { namesOf } from '../../platform/names';
import { createContext } from '../../runtime/context';
import { movePurchaseAndPush, pushHops } from '../../services/purchase';
import { blockReason, getProduct, type PurchaseHop } from '../../stores/purchases';

const config = loadConfig();
const ctx = createContext(config, createLogger(config.LOG_LEVEL, { role: 'direct-baseline' }));
ctx.lifecycle.onSignals();
const Body = z.object({
  productId: z.string().min(1).max(64),
  quantity: z.number().int().positive().max(10_000),
  installments: z.number().int().min(1).max(120),
});
const topics = namesOf(config).snsTopics;
const push = (hops: PurchaseHop[]) => pushHops(ctx.publisher(), hops);
const db = { mysql: ctx.mysql(), publisher: ctx.publisher };
const publish = (m: PurchaseMessage) =>
  ctx.sns().send(
    new PublishCommand({
      TopicArn: topicArn(config, (m.type === 'PurchaseRequested' ? topics.purchaseRequested : topics.purchaseCancelled).name),
      Message: JSON.stringify(m),
    }),
  );

await startGateway(ctx);
const app = new Hono<{ Variables: ApiVariables }>();
app.use('*', requireJwt(createTokenVerifier(config)));
app.post('/purchases', async (c) => {
  const { userId } = c.get('principal');
  const key = idempotencyKeyFrom(c.req.header('idempotency-key'), true)!;
  const body = await jsonBody(c, Body);
  const product = await getProduct(ctx.mysql(), body.productId);
  if (!product) throw new AppError(422, 'unknown_product', 'no such product', { field: 'productId' });
  let q;
  try {
    q = quote(product, body);
  } catch (err) {
    if (err instanceof ImpossibleTermsError) throw new AppError(422, 'impossible_terms', err.message, { field: err.field });
    throw err;
  }
  const blocked = await blockReason(ctx.mysql(), userId);
  const fresh = randomUUID();
  const now = Date.now();
  const status = blocked ? 'REJECTED' : 'PENDING';
  const earlier = await inTransaction(ctx.mysql(), async (conn) => {
    const found = await claimIdempotencyKey(conn, { scope: 'purchases', principal: userId, key, hash: requestHash(body), resourceId: fresh });
    if (found) return found;
    await conn.query(
      `INSERT INTO purchases (purchase_id, user_id, product_id, quantity, installments, amount_cents, total_cents, installment_cents, status, reason, journey, deadline_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'direct', ?)`,
      [
        fresh,
        userId,
        q.productId,
        q.quantity,
        q.installments,
        q.amountCents,
        q.totalCents,
        q.installmentCents,
        status,
        blocked ?? null,
        new Date(now + config.PURCHASE_RESULT_TIMEOUT_MS),
      ],
    );
    await conn.query('INSERT INTO purchase_timeline (purchase_id, status, at, detail) VALUES (?, ?, ?, ?)', [fresh, status, new Date(now), blocked ?? null]);
    return undefined;
  });
  const purchaseId = earlier ?? fresh;
  if (!earlier) {
    if (!blocked) await publish({ type: 'PurchaseRequested', purchaseId, userId, productId: q.productId, quantity: q.quantity, totalCents: q.totalCents });
    await push([{ purchaseId, userId, status, detail: blocked ? `customer is blocked: ${blocked}` : null, at: now }]);
  }
  return c.json({ purchaseId, status: 'RECEIVED' }, 202);
});
const server = await listen(app as unknown as Hono, config.HOST, config.API_PORT);
ctx.lifecycle.add('direct api', server, (s) => new Promise((r) => s.close(() => r(undefined))));

const fulfillment = await startFulfillment(ctx);
ctx.lifecycle.add('direct fulfillment', fulfillment, (f) => f.stop());
const results = startSqsConsumer({
  name: 'direct-results',
  sqs: ctx.sqs(),
  log: ctx.log,
  queueName: namesOf(config).queues.purchaseResults.name,
  waitSeconds: config.SQS_WAIT_SECONDS,
  pollers: config.SQS_POLLERS,
  handle: async (raw) => {
    const r = JSON.parse(raw) as FulfillmentResult;
    await movePurchaseAndPush(db, { purchaseId: r.purchaseId, to: r.kind, ...(r.kind === 'REJECTED' ? { detail: r.reason } : {}) });
  },
});
ctx.lifecycle.add('direct results', results, (r) => r.stop());

// The hand-written deadline: a poller every second, expiring and compensating what is overdue.
const poller = setInterval(() => {
  void (async () => {
    const [rows] = await ctx
      .mysql()
      .query<RowDataPacket[]>(
        "SELECT purchase_id, user_id, product_id, quantity, total_cents FROM purchases WHERE journey = 'direct' AND status IN ('PENDING', 'PROCESSING') AND deadline_at <= ? LIMIT 500",
        [new Date()],
      );
    for (const p of rows) {
      const purchaseId = p.purchase_id as string;
      const { moved } = await movePurchaseAndPush(db, { purchaseId, to: 'EXPIRED', detail: 'no fulfillment result in time' });
      if (!moved) continue;
      await publish({
        type: 'PurchaseCancelled',
        purchaseId,
        userId: p.user_id as string,
        productId: p.product_id as string,
        quantity: Number(p.quantity),
        totalCents: Number(p.total_cents),
      });
    }
  })().catch((err: unknown) => ctx.log.warn({ err }, 'deadline poll failed'));
}, 1_000);
ctx.lifecycle.add('direct deadline poller', poller, (p) => clearInterval(p));
process.send?.('ready');
