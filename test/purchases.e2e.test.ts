import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, DeleteMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { RowDataPacket } from 'mysql2/promise';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiApp } from '../api/app';
import { startFulfillment, startPurchaseResults } from '../consumers/purchases';
import { startGateway } from '../gateway/server';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';

import { CUSTOMER_ID_ATTRIBUTE, PURCHASE_STATUS_ATTRIBUTE, purchaseWorkflowId } from '../contracts/purchase';
import { CUSTOMER_REJECTION } from '../domain/purchase-status';
import { purchaseStarts } from '../services/purchase';
import { contractOf } from '../stores/purchases';
import { startWorker } from '../worker';
import { eventually, testContext, testNames, uniqueId } from './support/context';
import { TestClient } from './support/gateway';

const names = testNames();
/** A run's history as text, payloads decoded (protobuf's JSON gives their bytes in base64): what `temporal workflow show` lets a reader search. */
const historyText = (events: unknown) =>
  JSON.stringify(events, (k, v: unknown) => (k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v));

// The purchase journey across the real servers: API (purchase + outbox row in one transaction) →
// the purchase's own workflow run (validate, PENDING, SNS, its deadline timer) → SQS → fulfillment →
// purchase-results (PROCESSING applied in MySQL, the outcome signalled to the run) → statuses pushed
// to the user's WebSocket through the gateway.
describe('purchase journey across the real servers', () => {
  let ctx: Context;
  let workerCtx: Context;
  let app: ReturnType<typeof createApiApp>;
  let gatewayUrl: string;
  let fulfillment: { stop(): Promise<void> } | undefined;
  let results: { stop(): Promise<void> } | undefined;
  // A second system on the same servers with short deadlines (3 s) and its purchase relay running:
  // the expiry and outage cases.
  let shortCtx: Context;
  let shortWorker: Context;
  let shortApp: ReturnType<typeof createApiApp>;
  const extraCtxs: Context[] = [];
  const sockets: WebSocket[] = [];
  const consumerOpts = { waitSeconds: 1, retryDelaySeconds: 0 };

  const user = async () => {
    const userId = uniqueId('buyer');
    const token = await signToken(ctx.config, userId);
    const ws = new WebSocket(gatewayUrl, { headers: { authorization: `Bearer ${token}` } });
    sockets.push(ws);
    const client = new TestClient(ws);
    await client.opened;
    await client.next('subscribed');
    return {
      userId,
      token,
      client,
      statuses: () =>
        client
          .of('event')
          .filter((e) => e.event === 'purchase.status')
          .map((e) => (e.data as { status: string }).status),
    };
  };
  const api = (token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, on = app) =>
    on.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const buy = async (token: string, body: unknown = { productId: 'insurance-home', quantity: 1, installments: 1 }, on = app) => {
    const res = await api(token, 'POST', '/purchases', body, { 'idempotency-key': uniqueId('k') }, on);
    expect(res.status).toBe(202);
    return (await res.json()) as { purchaseId: string; statusUrl: string; temporalUi: string };
  };
  const restartWorker = async () => {
    workerCtx = testContext({ TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE });
    await startWorker(workerCtx);
  };
  const queueDepth = async (name: string) => {
    const { QueueUrl } = await ctx.sqs().send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes = {} } = await ctx
      .sqs()
      .send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  };

  beforeAll(async () => {
    ctx = testContext({ GATEWAY_PORT: '0', PURCHASE_RESULT_TIMEOUT_MS: '120000' });
    app = createApiApp(ctx);
    gatewayUrl = await startGateway(ctx);
    await restartWorker();
    fulfillment = await startFulfillment(ctx, consumerOpts);
    results = await startPurchaseResults(ctx, consumerOpts);
    // The outage case's API never reaches Temporal, so it cannot wake the relay: the relay's own
    // backed-off tick (at most PURCHASE_RELAY_MAX_IDLE_MS) must start the run within the test's wait.
    const short = { PURCHASE_RESULT_TIMEOUT_MS: '3000', PURCHASE_RELAY_IDLE_MS: '300', PURCHASE_RELAY_MAX_IDLE_MS: '2000' };
    shortCtx = testContext(short);
    shortApp = createApiApp(shortCtx);
    shortWorker = testContext({ ...short, TEMPORAL_TASK_QUEUE: shortCtx.config.TEMPORAL_TASK_QUEUE, PURCHASE_RELAY_ON_START: 'true' });
    await startWorker(shortWorker);
  }, 60_000);
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await fulfillment?.stop();
    await results?.stop();
    await workerCtx?.lifecycle.close();
    await shortWorker?.lifecycle.close();
    await shortCtx?.lifecycle.close();
    for (const c of extraCtxs) await c.lifecycle.close();
    await ctx?.lifecycle.close();
  });

  it('quotes synchronously, and refuses impossible terms with 422 naming the field', async () => {
    const { token } = await user();
    const res = await api(token, 'POST', '/purchases/simulate', { productId: 'phone-x', quantity: 1, installments: 10 });
    expect(res.status).toBe(200);
    const q = (await res.json()) as { amountCents: number; installmentCents: number; totalCents: number; feesCents: number };
    expect(q.amountCents).toBe(399900);
    expect(q.totalCents).toBe(q.installmentCents * 10);
    expect(q.feesCents).toBeGreaterThan(0);
    for (const [body, field] of [
      [{ productId: 'phone-x', quantity: 1, installments: 11 }, 'installments'],
      [{ productId: 'phone-x', quantity: 4, installments: 1 }, 'quantity'],
      [{ productId: 'no-such-thing', quantity: 1, installments: 1 }, 'productId'],
    ] as const) {
      const r = await api(token, 'POST', '/purchases/simulate', body);
      expect(r.status).toBe(422);
      expect(((await r.json()) as { error: { field: string } }).error.field).toBe(field);
    }
  });

  it('POST /purchases: the user sees PENDING, PROCESSING, COMPLETED live; MySQL is final; the purchase’s own run holds every step, in two workflow tasks', async () => {
    const u = await user();
    const { purchaseId, statusUrl, temporalUi } = await buy(u.token);
    expect(statusUrl).toBe(`/purchases/${purchaseId}`);
    const workflowId = purchaseWorkflowId(ctx.config.TIDINGS_ENV, purchaseId);
    expect(temporalUi).toContain(`/workflows/${encodeURIComponent(workflowId)}`);
    await u.client.until(() => u.statuses().includes('COMPLETED'), 30_000);
    expect(u.statuses()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);

    const view = (await (await api(u.token, 'GET', statusUrl)).json()) as { status: string; timeline: { status: string }[]; temporalUi: string };
    expect(view.status).toBe('COMPLETED');
    expect(view.timeline.map((t) => t.status)).toEqual(['RECEIVED', 'PENDING', 'PROCESSING', 'COMPLETED']);
    expect(view.temporalUi).toBe(temporalUi);
    expect(await contractOf(ctx.mysql(), purchaseId)).toEqual({ status: 'ACTIVE', quantity: 1 });
    await eventually(
      async () => (await queueDepth(names.queues.purchaseProcessing.name)) === 0 && (await queueDepth(names.queues.purchaseResults.name)) === 0,
      20_000,
    );
    const [outbox] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM purchase_outbox WHERE purchase_id = ?', [purchaseId]);
    expect(Number(outbox[0]!.n)).toBe(0);

    // What `temporal workflow describe` shows: a completed run of type purchase whose history holds
    // the validation, the publish, the status moves (each pushed) and fulfillment's outcome.
    const client = await ctx.temporal();
    const handle = client.workflow.getHandle(workflowId);
    await eventually(async () => (await handle.describe()).status.name === 'COMPLETED', 10_000);
    const described = await handle.describe();
    expect(described.type).toBe('purchase');
    expect(described.typedSearchAttributes.get(CUSTOMER_ID_ATTRIBUTE)).toBe(u.userId);
    expect(described.typedSearchAttributes.get(PURCHASE_STATUS_ATTRIBUTE)).toBe('COMPLETED');
    const history = historyText((await handle.fetchHistory()).events);
    for (const step of ['validatePurchase', 'publishPurchaseMessage', 'movePurchase', 'fulfillmentOutcome']) expect(history).toContain(step);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => Number(e.eventType) === 7 /* WORKFLOW_TASK_COMPLETED */).length).toBeLessThanOrEqual(2);
    // The Web UI's "my purchases": the customer's runs, found by the search attribute.
    await eventually(async () => {
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowType = 'purchase' AND CustomerId = '${u.userId}'` })) found.push(wf.workflowId);
      return found.length === 1 && found[0] === workflowId;
    }, 10_000);
  }, 45_000);

  it('API and worker in one process (as npm start runs them): the run starts eagerly on that worker and completes', async () => {
    const both = testContext();
    extraCtxs.push(both);
    await startWorker(both);
    const eager = async () => (await purchaseStarts.get()).values.find((v) => v.labels.eager === 'true')?.value ?? 0;
    const before = await eager();
    const u = await user();
    await buy(u.token, undefined, createApiApp(both));
    await u.client.until(() => u.statuses().includes('COMPLETED'), 30_000);
    expect(u.statuses()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(await eager()).toBe(before + 1);
  }, 45_000);

  it('a blocked customer is REJECTED with the reason, and nothing is contracted', async () => {
    const u = await user();
    await ctx.mysql().query('INSERT INTO customer_blocks (user_id, reason) VALUES (?, ?)', [u.userId, 'chargeback fraud']);
    const { purchaseId } = await buy(u.token);
    await u.client.until(() => u.statuses().includes('REJECTED'), 20_000);
    expect(u.statuses()).toEqual(['REJECTED']);
    const ev = u.client.of('event').find((e) => (e.data as { status: string }).status === 'REJECTED')!;
    // The customer reads a customer-safe reason; the operator's is in the run's history.
    expect((ev.data as { detail: string }).detail).toBe(CUSTOMER_REJECTION);
    expect(await contractOf(ctx.mysql(), purchaseId)).toBeUndefined();
    const run = (await ctx.temporal()).workflow.getHandle(purchaseWorkflowId(ctx.config.TIDINGS_ENV, purchaseId));
    await eventually(async () => (await run.describe()).status.name === 'COMPLETED', 10_000);
    expect(historyText((await run.fetchHistory()).events)).toContain('customer is blocked: chargeback fraud');
  }, 30_000);

  it('worker gone while the purchase waits: PROCESSING still reaches the user, the outcome waits in the run and completes when a worker is back, each status pushed once', async () => {
    await fulfillment!.stop();
    fulfillment = undefined;
    const u = await user();
    const { purchaseId } = await buy(u.token);
    await u.client.until(() => u.statuses().includes('PENDING'), 20_000);
    await eventually(async () => (await queueDepth(names.queues.purchaseProcessing.name)) > 0, 20_000); // PurchaseRequested is out
    await workerCtx.lifecycle.close(); // the worker is gone while the purchase waits for its result
    fulfillment = await startFulfillment(ctx, consumerOpts); // the result arrives with no worker up
    await eventually(async () => (await contractOf(ctx.mysql(), purchaseId))?.status === 'ACTIVE', 20_000);
    await u.client.until(() => u.statuses().includes('PROCESSING'), 20_000);
    expect(u.statuses()).toEqual(['PENDING', 'PROCESSING']);
    await restartWorker();
    await u.client.until(() => u.statuses().includes('COMPLETED'), 30_000);
    expect(u.statuses()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
  }, 60_000);

  it('cancel before fulfillment started: CANCELLED, compensated; cancel again answers CANCELLED; cancel after COMPLETED is 409', async () => {
    await fulfillment!.stop();
    fulfillment = undefined;
    const u = await user();
    const { purchaseId } = await buy(u.token);
    await u.client.until(() => u.statuses().includes('PENDING'), 20_000);
    const res = await api(u.token, 'POST', `/purchases/${purchaseId}/cancel`, { reason: 'changed my mind' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'CANCELLED', reason: 'changed my mind' });
    fulfillment = await startFulfillment(ctx, consumerOpts);
    // Request and cancellation both reach fulfillment; whichever comes first, nothing stays reserved.
    await eventually(async () => (await contractOf(ctx.mysql(), purchaseId))?.status === 'CANCELLED', 20_000);
    await eventually(async () => (await queueDepth(names.queues.purchaseProcessing.name)) === 0, 20_000);
    expect((await contractOf(ctx.mysql(), purchaseId))?.status).toBe('CANCELLED');
    expect(u.statuses()).toEqual(['PENDING', 'CANCELLED']);
    // Cancelled already: the answer of the cancel that did it (a retry must not read as refused).
    const again = await api(u.token, 'POST', `/purchases/${purchaseId}/cancel`);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toMatchObject({ purchaseId, status: 'CANCELLED' });

    const done = await user();
    const bought = await buy(done.token);
    await done.client.until(() => done.statuses().includes('COMPLETED'), 30_000);
    const late = await api(done.token, 'POST', `/purchases/${bought.purchaseId}/cancel`);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: 'cannot_cancel' } });
  }, 60_000);

  it('cancel while no worker runs the purchase: 503 with Retry-After after the bounded wait; the retry (same update id) cancels once a worker is back', async () => {
    await fulfillment?.stop(); // fulfillment must not start the purchase first
    fulfillment = undefined;
    try {
      const lonely = testContext({ PURCHASE_CANCEL_TIMEOUT_MS: '1000' });
      extraCtxs.push(lonely);
      const lonelyApp = createApiApp(lonely);
      const u = await user();
      const { purchaseId } = await buy(u.token, undefined, lonelyApp);
      const cancel = () => api(u.token, 'POST', `/purchases/${purchaseId}/cancel`, { reason: 'no rush' }, {}, lonelyApp);
      // The API's Update calls to the server: the 503s below must leave one running, not one each.
      const service = (await lonely.temporal()).workflowService as unknown as { updateWorkflowExecution: (req: unknown) => Promise<unknown> };
      const updateCall = service.updateWorkflowExecution.bind(service);
      let updatesInFlight = 0;
      service.updateWorkflowExecution = (req) => {
        updatesInFlight++;
        return updateCall(req).finally(() => updatesInFlight--);
      };
      const first = await cancel();
      expect(first.status).toBe(503);
      expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await first.json()).toMatchObject({ error: { code: 'dependency_unavailable', dependency: 'temporal' } });
      // Retried while still 503: each retry joins the call under way (the SDK would otherwise add a
      // loop asking the server at every long poll per retry: the soak at 1.5× its rates, 20 a second).
      expect((await cancel()).status).toBe(503);
      expect((await cancel()).status).toBe(503);
      expect(updatesInFlight).toBe(1);
      const worker = testContext({ TEMPORAL_TASK_QUEUE: lonely.config.TEMPORAL_TASK_QUEUE });
      extraCtxs.push(worker);
      await startWorker(worker);
      // As a client does: retry (the same Update id) while the answer is 503. A worker that has just
      // started may take longer than the 1 s bound to pick the run up on a loaded machine.
      const again = await vi.waitFor(
        async () => {
          const res = await cancel();
          expect(res.status, await res.clone().text()).not.toBe(503);
          return res;
        },
        { timeout: 30_000, interval: 500 },
      );
      expect(again.status, await again.clone().text()).toBe(200);
      expect(await again.json()).toMatchObject({ status: 'CANCELLED', reason: 'no rush' });
      await u.client.until(() => u.statuses().includes('CANCELLED'), 20_000);
      expect(u.statuses()).toEqual(['CANCELLED']);
    } finally {
      fulfillment = await startFulfillment(ctx, consumerOpts);
    }
  }, 60_000);

  // Found by the soak (SOAK_SEED=2, docs/reliability.md): a cancel answered 503 whose Update went
  // through once a worker was back; the client's retry, after the run had ended, was answered 409
  // cannot_cancel although the purchase was cancelled by that very request.
  it('a cancel retried after its 503, once the first took effect and the run ended: 200 CANCELLED, not 409', async () => {
    await fulfillment?.stop();
    fulfillment = undefined;
    const lonely = testContext({ PURCHASE_CANCEL_TIMEOUT_MS: '1000' });
    extraCtxs.push(lonely);
    const lonelyApp = createApiApp(lonely);
    const u = await user();
    const { purchaseId } = await buy(u.token, undefined, lonelyApp);
    const first = await api(u.token, 'POST', `/purchases/${purchaseId}/cancel`, { reason: 'no rush' }, {}, lonelyApp);
    expect(first.status).toBe(503);
    // The first request's Update is still waiting on the run: a worker coming back carries it out.
    const worker = testContext({ TEMPORAL_TASK_QUEUE: lonely.config.TEMPORAL_TASK_QUEUE });
    extraCtxs.push(worker);
    await startWorker(worker);
    await u.client.until(() => u.statuses().includes('CANCELLED'), 20_000);
    const client = await lonely.temporal();
    await eventually(
      async () => (await client.workflow.getHandle(purchaseWorkflowId(lonely.config.TIDINGS_ENV, purchaseId)).describe()).status.name !== 'RUNNING',
      20_000,
    );
    const retry = await api(u.token, 'POST', `/purchases/${purchaseId}/cancel`, { reason: 'no rush' }, {}, lonelyApp);
    expect(retry.status, await retry.clone().text()).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ purchaseId, status: 'CANCELLED' });
    expect(u.statuses()).toEqual(['CANCELLED']);
    fulfillment = await startFulfillment(ctx, consumerOpts);
  }, 60_000);

  it('Idempotency-Key: the same key and body return the same purchase; another body is 409', async () => {
    const u = await user();
    const key = uniqueId('idem');
    const body = { productId: 'gift-card-100', quantity: 2, installments: 1 };
    const a = (await (await api(u.token, 'POST', '/purchases', body, { 'idempotency-key': key })).json()) as { purchaseId: string };
    const b = await api(u.token, 'POST', '/purchases', body, { 'idempotency-key': key });
    expect(b.status).toBe(202);
    expect(((await b.json()) as { purchaseId: string }).purchaseId).toBe(a.purchaseId);
    const c = await api(u.token, 'POST', '/purchases', { ...body, quantity: 3 }, { 'idempotency-key': key });
    expect(c.status).toBe(409);
    await u.client.until(() => u.statuses().includes('COMPLETED'), 30_000);
    expect(u.statuses().filter((s) => s === 'COMPLETED')).toHaveLength(1);
  }, 40_000);

  it('bad input: 400/422 naming the field, 413 for a huge body, and no purchase, outbox row or workflow started', async () => {
    const client = await ctx.temporal();
    const purchaseRuns = async () => (await client.workflow.count(`TaskQueue = '${ctx.config.TEMPORAL_TASK_QUEUE}' AND WorkflowType = 'purchase'`)).count;
    const runsBefore = await purchaseRuns();
    const u = await user();
    const cases: [unknown, number, string][] = [
      [{ quantity: 1, installments: 1 }, 400, 'productId'],
      [{ productId: 'phone-x', quantity: '1', installments: 1 }, 400, 'quantity'],
      [{ productId: 'phone-x', quantity: -1, installments: 1 }, 400, 'quantity'],
      [{ productId: 'phone-x', quantity: 1, installments: 0 }, 400, 'installments'],
      [{ productId: 'nope', quantity: 1, installments: 1 }, 422, 'productId'],
      [{ productId: 'phone-x', quantity: 1, installments: 99 }, 422, 'installments'],
      ['{broken', 400, 'body'],
    ];
    for (const [body, status, field] of cases) {
      const res = await api(u.token, 'POST', '/purchases', body, { 'idempotency-key': uniqueId('k') });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    }
    const noKey = await api(u.token, 'POST', '/purchases', { productId: 'phone-x', quantity: 1, installments: 1 });
    expect(noKey.status).toBe(400);
    expect(((await noKey.json()) as { error: { field: string } }).error.field).toBe('Idempotency-Key');
    const huge = await api(u.token, 'POST', '/purchases', { productId: 'x'.repeat(300_000), quantity: 1, installments: 1 }, { 'idempotency-key': 'h' });
    expect(huge.status).toBe(413);
    const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM purchases WHERE user_id = ?', [u.userId]);
    expect(Number(rows[0]!.n)).toBe(0);
    expect(await purchaseRuns()).toBe(runsBefore);
  }, 30_000);

  it('no result before the deadline: the run’s timer EXPIRES the purchase with the reason and compensates it; a late result changes nothing', async () => {
    await fulfillment?.stop();
    fulfillment = undefined;
    const u = await user();
    const { purchaseId } = await buy(u.token, undefined, shortApp);
    await u.client.until(() => u.statuses().includes('EXPIRED'), 20_000);
    const expired = u.client.of('event').find((e) => (e.data as { status: string }).status === 'EXPIRED')!;
    expect((expired.data as { detail: string }).detail).toBe('no fulfillment result within 3 s');
    // PurchaseCancelled went out from the run: fulfillment, back, releases whatever the request reserves.
    fulfillment = await startFulfillment(ctx, consumerOpts);
    await eventually(async () => (await contractOf(ctx.mysql(), purchaseId))?.status === 'CANCELLED', 20_000);
    await eventually(async () => (await queueDepth(names.queues.purchaseResults.name)) === 0, 20_000);
    await new Promise((r) => setTimeout(r, 500)); // time passing is the point: a late push would have arrived
    expect(u.statuses()).toEqual(['PENDING', 'EXPIRED']);
    const view = (await (await api(u.token, 'GET', `/purchases/${purchaseId}`)).json()) as { status: string; reason: string };
    expect(view).toMatchObject({ status: 'EXPIRED', reason: 'no fulfillment result within 3 s' });
  }, 60_000);

  it('Temporal unreachable at POST: 202, nothing lost; the relay starts the run once it can', async () => {
    fulfillment ??= await startFulfillment(ctx, consumerOpts);
    const queue = shortCtx.config.TEMPORAL_TASK_QUEUE;
    const noTemporal = testContext({ TEMPORAL_TASK_QUEUE: queue, TEMPORAL_ADDRESS: '127.0.0.1:9', PURCHASE_RESULT_TIMEOUT_MS: '60000' });
    extraCtxs.push(noTemporal);
    const u = await user();
    const { purchaseId } = await buy(u.token, undefined, createApiApp(noTemporal));
    // The API's own start fails; the row waits in the outbox for the relay (the short system's worker).
    await u.client.until(() => u.statuses().includes('COMPLETED'), 30_000);
    expect(u.statuses()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(await contractOf(ctx.mysql(), purchaseId)).toEqual({ status: 'ACTIVE', quantity: 1 });
    const [outbox] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM purchase_outbox WHERE purchase_id = ?', [purchaseId]);
    expect(Number(outbox[0]!.n)).toBe(0);
  }, 60_000);

  it('cancel of a purchase whose run has not started yet (Temporal was down at the POST) starts it and cancels through it', async () => {
    await fulfillment?.stop(); // fulfillment must not start it first
    fulfillment = undefined;
    const noTemporal = testContext({ TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE, TEMPORAL_ADDRESS: '127.0.0.1:9' });
    extraCtxs.push(noTemporal);
    const u = await user();
    const { purchaseId } = await buy(u.token, undefined, createApiApp(noTemporal));
    const res = await api(u.token, 'POST', `/purchases/${purchaseId}/cancel`, { reason: 'too slow' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'CANCELLED', reason: 'too slow' });
    await u.client.until(() => u.statuses().includes('CANCELLED'), 20_000);
    // Cancelled before or after the run's first step made it PENDING, never past it.
    expect([['CANCELLED'], ['PENDING', 'CANCELLED']]).toContainEqual(u.statuses());
    fulfillment = await startFulfillment(ctx, consumerOpts);
  }, 60_000);

  it('a fulfillment report is acknowledged only once it is applied: PROCESSING with MySQL unreachable, the outcome with Temporal unreachable, stay queued until they can be', async () => {
    await fulfillment?.stop();
    fulfillment = undefined;
    const u = await user();
    const { purchaseId } = await buy(u.token);
    await u.client.until(() => u.statuses().includes('PENDING'), 20_000);
    await results?.stop();
    const down = testContext({ MYSQL_PORT: '9', TEMPORAL_ADDRESS: '127.0.0.1:9' });
    extraCtxs.push(down);
    // A slow retry: the queue dead-letters after 5 receives, and this consumer must not use them all.
    const failing = await startPurchaseResults(down, { waitSeconds: 1, retryDelaySeconds: 2 });
    const sqs = ctx.sqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queues.purchaseResults.name }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ purchaseId, kind: 'PROCESSING' }) }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ purchaseId, kind: 'COMPLETED' }) }));
    await new Promise((r) => setTimeout(r, 3_000)); // time passing is the point: received and failed, more than once
    expect(await queueDepth(names.queues.purchaseResults.name)).toBe(2);
    expect(u.statuses()).toEqual(['PENDING']);
    await failing.stop();
    results = await startPurchaseResults(ctx, consumerOpts);
    await u.client.until(() => u.statuses().includes('COMPLETED'), 30_000);
    expect(u.statuses()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    await eventually(async () => (await queueDepth(names.queues.purchaseResults.name)) === 0, 20_000);
    // Fulfillment, back, finds the contract to effect: the purchase is already COMPLETED, its results change nothing.
    fulfillment = await startFulfillment(ctx, consumerOpts);
  }, 60_000);

  it('a poison message is retried, never deleted, and lands in the dead-letter queue after N receives', async () => {
    fulfillment ??= await startFulfillment(ctx, consumerOpts);
    const marker = uniqueId('poison');
    const sqs = ctx.sqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queues.purchaseProcessing.name }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `{"type":"PurchaseRequested","marker":"${marker}"}` }));
    const { QueueUrl: dlqUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queues.purchaseProcessing.dlq!.name }));
    const found = await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 1 }),
        );
        const mine = Messages.find((m) => m.Body?.includes(marker));
        if (mine) await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: mine.ReceiptHandle }));
        return mine;
      },
      40_000,
      200,
    );
    expect(found.Body).toContain(marker);
  }, 50_000);
});
