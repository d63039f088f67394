import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { eventually, testContext, uniqueId } from '../test/support/context';
import { createApiApp } from './app';

// What a client can discover without reading the code: the catalogue, its own purchases page by
// page (never someone else's), and the request that started each run (the run's memo).
describe('API discoverability', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  beforeAll(() => {
    ctx = testContext();
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });
  const as = async (user: string) => {
    const token = await signToken(ctx.config, user);
    return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  };

  it('GET /products lists the catalogue a purchase may name, with stock; it needs a token', async () => {
    const call = await as(uniqueId('shopper'));
    const res = await call('GET', '/products');
    expect(res.status).toBe(200);
    const { products } = (await res.json()) as { products: { productId: string; priceCents: number; stock: number; maxInstallments: number }[] };
    expect(products.map((p) => p.productId)).toContain('phone-x');
    for (const p of products) expect(p.priceCents).toBeGreaterThan(0);
    expect((await app.request('/products')).status).toBe(401);
  });

  it("GET /purchases pages through the caller's own purchases, newest first, and shows no one else's", async () => {
    const alice = await as(uniqueId('alice'));
    const bob = await as(uniqueId('bob'));
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await alice(
        'POST',
        '/purchases',
        { productId: 'gift-card-100', quantity: 1, installments: 1 },
        { 'idempotency-key': uniqueId('k'), 'x-request-id': `list-${i}` },
      );
      expect(res.status).toBe(202);
      made.push(((await res.json()) as { purchaseId: string }).purchaseId);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const res = await alice('GET', `/purchases?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { purchases: { purchaseId: string; temporalUi: string }[]; nextCursor: string | null };
      expect(page.purchases.length).toBeLessThanOrEqual(2);
      seen.push(...page.purchases.map((p) => p.purchaseId));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...made].reverse());
    expect(((await (await bob('GET', '/purchases')).json()) as { purchases: unknown[] }).purchases).toEqual([]);
    const bad = await alice('GET', '/purchases?cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'cursor' } });

    // Each purchase links its own run, which the API starts right after accepting it.
    const view = (await (await alice('GET', `/purchases/${made[0]!}`)).json()) as { temporalUi: string; workflowId: string };
    const runId = decodeURIComponent(view.temporalUi.split('/workflows/')[1]!);
    expect(runId).toBe(`${ctx.config.TIDINGS_ENV}.purchase-${made[0]!}`);
    expect(view.workflowId).toBe(runId);
    const described = await eventually(
      () =>
        ctx
          .temporal()
          .then((c) => c.workflow.getHandle(runId).describe())
          .catch(() => undefined),
      10_000,
    );
    expect(described.type).toBe('purchase');
    for (const id of made)
      await (
        await ctx.temporal()
      ).workflow
        .getHandle(`${ctx.config.TIDINGS_ENV}.purchase-${id}`)
        .terminate('test over')
        .catch(() => undefined);
  });

  it('a ledger post links the runs that apply it and close its day', async () => {
    const merchant = uniqueId('merchant');
    const call = await as(merchant);
    const res = await call('POST', '/ledger/entries', { type: 'credit', amount: '10.00', currency: 'BRL', description: 'sale', occurredAt: '2026-11-20' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { temporalUi: { relay: string; dayClose: string } };
    expect(body.temporalUi.relay).toContain(encodeURIComponent(`${ctx.config.TIDINGS_ENV}.outbox-relay-`));
    expect(body.temporalUi.dayClose).toContain(encodeURIComponent(`${ctx.config.TIDINGS_ENV}.balance-${merchant}-2026-11-20`));
  });

  it('a sent chat message links the deadline bucket expected to hold it in the Web UI', async () => {
    const call = await as(uniqueId('sender'));
    const friend = uniqueId('f');
    expect((await (await as(friend))('GET', '/conversations')).status).toBe(200); // a known user
    const conv = (await (await call('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [friend] })).json()) as {
      conversationId: string;
    };
    const sent = await call('POST', `/conversations/${conv.conversationId}/messages`, { clientMessageId: uniqueId('c'), text: 'hello' });
    expect(sent.status).toBe(202);
    const body = (await sent.json()) as { messageId: string; temporalUi: string };
    expect(body.temporalUi).toContain(encodeURIComponent(`${ctx.config.TIDINGS_ENV}.msg-deadline-`));
  });
});
