import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { startEventSinkFromSqs, startEventSinkFromSqsAndKafka } from '../consumers/events';
import { startFulfillment, startPurchaseResults } from '../consumers/purchases';
import { startGateway } from '../gateway/server';
import { signToken } from '../platform/auth/jwt';
import { namesOf } from '../platform/names';
import { flushTracing } from '../platform/tracing';
import type { Context } from '../runtime/context';
import { startWorker } from '../worker';
import { eventually, groupAtEnd, ownEnvironment, testContext, uniqueId } from './support/context';
import { TestClient } from './support/gateway';
import { tag, traceIdsTagged, traceSpans, type Span } from './support/jaeger';

// One journey, one trace, read back from the Jaeger that scripts/infra/up.sh runs (docs/tracing.md):
// the request's trace id comes back in X-Trace-Id and every process of the journey (API, worker,
// consumers, gateway, here all in this test process but each under its own service name) adds
// its spans to that trace through the brokers' message attributes and headers, the outbox row and
// the gateway frame.
describe('tracing: one trace per journey, in Jaeger', () => {
  let ctx: Context;
  let own: ReturnType<typeof ownEnvironment> | undefined;
  let app: ReturnType<typeof createApiApp>;
  let gatewayUrl: string;
  const stops: (() => Promise<void>)[] = [];
  const sockets: WebSocket[] = [];

  const connect = async (userId: string) => {
    const token = await signToken(ctx.config, userId);
    const ws = new WebSocket(gatewayUrl, { headers: { authorization: `Bearer ${token}` } });
    sockets.push(ws);
    const client = new TestClient(ws);
    await client.opened;
    await client.next('subscribed');
    return { token, client };
  };
  const post = (token: string, path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': uniqueId('k') },
      body: JSON.stringify(body),
    });
  /** The trace's spans once every name in `want` is in it (spans arrive in batches, from several processes). */
  const traceWith = (traceId: string, want: ((s: Span) => boolean)[], ms = 30_000) =>
    eventually(
      async () => {
        await flushTracing();
        const spans = await traceSpans(ctx.config, traceId);
        return want.every((w) => spans.some(w)) && spans;
      },
      ms,
      500,
    );
  const named = (service: string, name: string | RegExp) => (s: Span) =>
    s.service === service && (typeof name === 'string' ? s.operationName === name : name.test(s.operationName));

  beforeAll(async () => {
    // Its own environment: its fulfillment and events consumers would otherwise take the messages of
    // test/purchases.e2e.test.ts and test/events.e2e.test.ts, which run beside it.
    own = ownEnvironment();
    ctx = testContext({
      TIDINGS_ENV: own.env,
      TRACING: 'true',
      GATEWAY_PORT: '0',
      SQS_WAIT_SECONDS: '1',
    });
    app = createApiApp(ctx);
    gatewayUrl = await startGateway(ctx);
    await startWorker(ctx);
    const opts = { waitSeconds: 1, retryDelaySeconds: 0 };
    for (const c of [await startFulfillment(ctx, opts), await startPurchaseResults(ctx, opts), await startEventSinkFromSqs(ctx, opts)])
      stops.push(() => c.stop());
    const groupId = uniqueId('events-c-trace');
    await groupAtEnd(ctx.kafka(), groupId, namesOf(ctx.config).topics.events);
    const c = await startEventSinkFromSqsAndKafka(ctx, { groupId, fromBeginning: true, waitSeconds: 1 });
    await c.ready;
    stops.push(() => c.stop());
  }, 60_000);
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    for (const stop of stops) await stop();
    await ctx?.lifecycle.close();
    own?.teardown();
  }, 60_000);

  it('a purchase: HTTP → its workflow run (steps, SNS) → fulfillment → results → signal back → push → gateway, in ONE trace', async () => {
    const userId = uniqueId('buyer');
    const { token, client } = await connect(userId);
    const res = await post(token, '/purchases', { productId: 'insurance-home', quantity: 1, installments: 1 });
    expect(res.status).toBe(202);
    const traceId = res.headers.get('x-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const { purchaseId } = (await res.json()) as { purchaseId: string };
    await client.until(() => client.of('event').some((e) => (e.data as { status?: string }).status === 'COMPLETED'), 30_000);
    // The live frames carry the trace the gateway delivered them under.
    expect(client.of('event').map((e) => (e as { traceparent?: string }).traceparent?.split('-')[1])).toContain(traceId);

    const env = ctx.config.TIDINGS_ENV;
    const spans = await traceWith(traceId!, [
      named('tidings-api', 'POST /purchases'),
      named('tidings-api', 'StartWorkflow:purchase'),
      named('tidings-worker', 'RunWorkflow:purchase'),
      named('tidings-worker', `${env}-purchase-requested publish`),
      named('tidings-consumers', 'fulfillment process'),
      named('tidings-consumers', `${env}-purchase-results publish`),
      named('tidings-consumers', 'purchase-results process'),
      named('tidings-consumers', 'SignalWorkflow:fulfillmentOutcome'),
      named('tidings-gateway', 'deliver purchase.status'),
    ]);
    // Every status the user saw was pushed inside this trace: PENDING and COMPLETED by the run's steps, PROCESSING by the results consumer.
    const pushes = spans.filter((s) => s.operationName === 'push purchase.status');
    expect(pushes.map((s) => s.service).sort()).toEqual(['tidings-consumers', 'tidings-worker', 'tidings-worker']);
    expect(spans.filter((s) => s.operationName.startsWith('purchase ') && tag(s, 'purchase.id') === purchaseId).map((s) => s.operationName)).toEqual(
      expect.arrayContaining(['purchase PENDING', 'purchase PROCESSING', 'purchase COMPLETED']),
    );
    // One root (the HTTP span); every other span's parent is in the trace.
    const ids = new Set(spans.map((s) => s.spanID));
    const roots = spans.filter((s) => !s.references.some((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID)));
    expect(roots.map((s) => s.operationName)).toEqual(['POST /purchases']);
    // ONE trace: nothing about this purchase was recorded under another trace id.
    for (const service of ['tidings-api', 'tidings-worker', 'tidings-consumers'])
      expect(await traceIdsTagged(ctx.config, service, 'purchase.id', purchaseId)).toEqual([traceId]);
    // The purchase names its trace (the web app's link), and the trace view serves it to its buyer.
    const read = (path: string) => app.request(path, { headers: { authorization: `Bearer ${token}` } });
    expect(await (await read(`/purchases/${purchaseId}`)).json()).toMatchObject({ traceId });
    const view = (await (await read(`/traces/${traceId}`)).json()) as { services: string[]; spans: { name: string; depth: number }[] };
    expect(view.services).toEqual(expect.arrayContaining(['tidings-api', 'tidings-worker', 'tidings-consumers', 'tidings-gateway']));
    expect(view.spans[0]).toMatchObject({ name: 'POST /purchases', depth: 0 });
    expect(view.spans.length).toBeGreaterThanOrEqual(spans.length);
  }, 90_000);

  it('an event (a workflow per request): HTTP → workflow → activities → SNS and Kafka → consumers → signal back → push, in ONE trace', async () => {
    const userId = uniqueId('user');
    const { token, client } = await connect(userId);
    const res = await post(token, '/events', { type: 'order.created', payload: { orderId: 7 } });
    expect(res.status).toBe(202);
    const traceId = res.headers.get('x-trace-id')!;
    const { eventId } = (await res.json()) as { eventId: string };
    await client.until(() => client.of('event').some((e) => (e.data as { step?: string }).step === 'COMPLETED'), 30_000);

    const env = ctx.config.TIDINGS_ENV;
    const spans = await traceWith(traceId, [
      named('tidings-api', 'POST /events'),
      named('tidings-api', 'StartWorkflow:eventFanOut'),
      named('tidings-worker', 'RunWorkflow:eventFanOut'),
      named('tidings-worker', 'StartActivity:publishEventToSns'),
      named('tidings-worker', 'RunActivity:publishEventToSns'),
      named('tidings-worker', 'RunActivity:publishEventToKafka'),
      named('tidings-worker', `${env}-events publish`),
      named('tidings-worker', `${env}.events publish`),
      named('tidings-consumers', 'events-b process'),
      named('tidings-consumers', 'events-c process'),
      (s) => s.operationName === 'events-c process' && tag(s, 'messaging.system') === 'kafka',
      named('tidings-consumers', 'SignalWorkflow:eventStored'),
      named('tidings-worker', 'HandleSignal:eventStored'),
      named('tidings-worker', 'RunActivity:finishEvent'),
      named('tidings-worker', 'push event.trail'),
      named('tidings-consumers', 'push event.trail'),
      named('tidings-gateway', 'deliver event.trail'),
    ]);
    const ids = new Set(spans.map((s) => s.spanID));
    const roots = spans.filter((s) => !s.references.some((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID)));
    expect(roots.map((s) => s.operationName)).toEqual(['POST /events']);
    expect(eventId).toBeTruthy();
  }, 90_000);
});
