import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { conversationAuthorizer } from '../services/conversation-channel';
import { ledgerChannel, ledgerChannelAuthorizer } from '../contracts/ledger';
import { SCOPES, signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { testContext, uniqueId } from './support/context';
import { gatewayFixture } from './support/gateway';

// The security model across the real servers: user B against user A's resources on every route and
// every channel kind (404 / 403 / error frame, nothing changed), idempotency under 20 concurrent
// retries, and tokens accepted on HTTP from the Authorization header only.
describe('security: every resource scoped to its owner', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  const day = new Date().toISOString().slice(0, 10);
  beforeAll(() => {
    ctx = testContext({ API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' });
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });
  const as = async (user: string, claims: Record<string, unknown> = {}) => {
    const token = await signToken(ctx.config, user, { claims });
    return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    };
  };

  it('purchases: B cannot read, cancel or list A’s purchase', async () => {
    const [a, b] = [await as(uniqueId('a')), await as(uniqueId('b'))];
    const made = await a('POST', '/purchases', { productId: 'gift-card-100', quantity: 1, installments: 1 }, { 'idempotency-key': uniqueId('k') });
    const id = String(made.body.purchaseId);
    expect((await b('GET', `/purchases/${id}`)).status).toBe(404);
    expect((await b('POST', `/purchases/${id}/cancel`)).status).toBe(404);
    expect((await b('GET', '/purchases')).body.purchases).toEqual([]);
    expect((await a('GET', `/purchases/${id}`)).body.status).not.toBe('CANCELLED');
  });

  it('events: B cannot read A’s trail nor see it in a list', async () => {
    const [a, b] = [await as(uniqueId('a')), await as(uniqueId('b'))];
    const made = await a('POST', '/events', { type: 'order.created', payload: { n: 1 } });
    const id = String(made.body.eventId);
    expect((await b('GET', `/events/${id}`)).status).toBe(404);
    expect((await b('GET', '/events')).body.events).toEqual([]);
  });

  it('ledger: B sees none of A’s entries or balances', async () => {
    const [a, b] = [await as(uniqueId('a')), await as(uniqueId('b'))];
    expect((await a('POST', '/ledger/entries', { type: 'credit', amount: '5.00', currency: 'BRL', description: 'sale', occurredAt: day })).status).toBe(201);
    expect((await b('GET', `/ledger/entries?date=${day}`)).body.entries).toEqual([]);
    expect((await b('GET', `/ledger/balances/daily?date=${day}`)).body.days).toEqual([]);
  });

  it('notifications: B cannot read, list, reschedule, cancel or schedule for A, nor touch A’s preferences; a service token can', async () => {
    const aId = uniqueId('a');
    const [a, b, service] = [await as(aId), await as(uniqueId('b')), await as(uniqueId('svc'), { scope: SCOPES.scheduleAnyNotification })];
    const prefs = { timezone: 'UTC', channels: ['web', 'email'], quietHours: { start: '22:00', end: '07:00' } };
    expect((await a('PUT', `/users/${aId}/notification-preferences`, prefs)).status).toBe(200);
    const id = uniqueId('n');
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    expect((await a('POST', '/notifications', { notificationId: id, userId: aId, channel: 'web', sendAt: inAnHour, title: 't', body: 'b' })).status).toBe(202);

    expect((await b('GET', `/notifications/${id}`)).status).toBe(404);
    expect((await b('PATCH', `/notifications/${id}`, { sendAt: new Date(Date.now() + 7_200_000).toISOString() })).status).toBe(404);
    expect((await b('DELETE', `/notifications/${id}`)).status).toBe(404);
    expect((await b('GET', `/notifications?userId=${aId}`)).status).toBe(403);
    expect((await b('GET', '/notifications')).body.notifications).toEqual([]);
    const forA = await b('POST', '/notifications', {
      notificationId: uniqueId('n'),
      userId: aId,
      channel: 'web',
      sendAt: inAnHour,
      title: 'spam',
      body: 'spam',
    });
    expect(forA.status).toBe(403);
    expect(forA.body).toMatchObject({ error: { field: 'userId' } });
    const batchForA = await b('POST', '/notifications/batch', {
      notifications: [{ notificationId: uniqueId('n'), userId: aId, channel: 'web', sendAt: inAnHour, title: 's', body: 's' }],
    });
    expect(batchForA.status).toBe(403);
    // Reusing A's id reveals nothing about it.
    const reuse = await b('POST', '/notifications', { notificationId: id, userId: 'whoever-b-is', channel: 'web', sendAt: inAnHour, title: 't', body: 'b' });
    expect([403, 409]).toContain(reuse.status);
    expect(JSON.stringify(reuse.body)).not.toContain(aId);
    expect((await b('PUT', `/users/${aId}/notification-preferences`, { timezone: 'UTC', channels: [] })).status).toBe(404);
    expect((await b('GET', `/users/${aId}/notification-preferences`)).status).toBe(404);

    // Nothing changed.
    const mine = await a('GET', `/notifications/${id}`);
    expect(mine.body).toMatchObject({ status: 'SCHEDULED', sendAt: inAnHour });
    expect((await a('GET', `/users/${aId}/notification-preferences`)).body).toMatchObject({
      channels: expect.arrayContaining(prefs.channels) as unknown,
      quietHours: prefs.quietHours,
    });

    // A service token schedules for A and reads it.
    const sid = uniqueId('n');
    expect(
      (await service('POST', '/notifications', { notificationId: sid, userId: aId, channel: 'web', sendAt: inAnHour, title: 't', body: 'b' })).status,
    ).toBe(202);
    expect((await service('GET', `/notifications/${sid}`)).status).toBe(200);
    expect((await a('GET', `/notifications/${sid}`)).status).toBe(200);
  });

  it('conversations: a non-member cannot read, list, post to or mark read A’s conversation', async () => {
    const [aId, friend] = [uniqueId('a'), uniqueId('f')];
    const [a, b] = [await as(aId), await as(uniqueId('b'))];
    const conv = await a('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [friend] });
    const id = String(conv.body.conversationId);
    expect((await b('GET', `/conversations/${id}`)).status).toBe(404);
    expect((await b('GET', `/conversations/${id}/messages`)).status).toBe(404);
    expect((await b('POST', `/conversations/${id}/messages`, { clientMessageId: uniqueId('c'), text: 'hi' })).status).toBe(404);
    expect((await b('POST', `/conversations/${id}/read`, { upToMessageId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await b('GET', '/conversations')).body.conversations).toEqual([]);
    expect((await a('GET', `/conversations/${id}/messages`)).body.messages).toEqual([]);
  });

  it('channels: B subscribing to A’s user, conversation or ledger channel gets an error frame and no events', async () => {
    const fx = gatewayFixture();
    try {
      const [aId, bId] = [uniqueId('a'), uniqueId('b')];
      const aCall = await as(aId);
      const conv = await aCall('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [uniqueId('f')] });
      const gw = await fx.instance({ conversation: conversationAuthorizer(ctx), ledger: ledgerChannelAuthorizer });
      const bClient = await fx.connect(gw.url, await fx.token(bId));
      for (const channel of [`user:${aId}`, `conversation:${String(conv.body.conversationId)}`, ledgerChannel(aId)]) {
        bClient.send({ type: 'subscribe', channel });
        const error = await bClient.next('error', channel);
        expect(error.code).toBe('forbidden');
      }
      await fx.publisher.publish(`user:${aId}`, 'secret', { n: 1 });
      await fx.publisher.publish(ledgerChannel(aId), 'ledger.balance', { n: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(bClient.of('event')).toEqual([]);
    } finally {
      await fx.close();
    }
  });
});

describe('security: idempotency under concurrency', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  beforeAll(() => {
    ctx = testContext({ API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' });
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });
  const day = new Date().toISOString().slice(0, 10);
  const routes = [
    {
      path: '/purchases',
      body: () => ({ productId: 'gift-card-100', quantity: 1, installments: 1 }),
      other: (i: number) => ({ productId: 'phone-x', quantity: 1 + Math.floor(i / 10), installments: 1 + (i % 10) }),
      id: 'purchaseId',
      table: 'purchases',
      column: 'purchase_id',
    },
    {
      path: '/ledger/entries',
      body: () => ({ type: 'credit', amount: '3.00', currency: 'BRL', description: 'once', occurredAt: day }),
      other: (i: number) => ({ type: 'credit', amount: `${3 + i}.00`, currency: 'BRL', description: 'once', occurredAt: day }),
      id: 'entryId',
      table: 'ledger_entries',
      column: 'entry_id',
    },
    {
      path: '/events',
      body: () => ({ type: 'once.only', payload: { n: 1 } }),
      other: (i: number) => ({ type: 'once.only', payload: { n: i } }),
      id: 'eventId',
      table: 'events',
      column: 'event_id',
    },
  ];
  const fire = async (path: string, key: string, token: string, bodies: unknown[]) =>
    Promise.all(
      bodies.map(async (body) => {
        const res = await app.request(path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      }),
    );

  for (const route of routes) {
    it(`${route.path}: 20 concurrent requests with one key and one body all get the first answer; one resource`, async () => {
      const user = uniqueId('idem');
      const token = await signToken(ctx.config, user);
      for (let round = 0; round < 2; round++) {
        const key = uniqueId('k');
        const answers = await fire(
          route.path,
          key,
          token,
          Array.from({ length: 20 }, () => route.body()),
        );
        expect(answers.map((a) => a.status).filter((s) => s >= 500)).toEqual([]);
        expect(new Set(answers.map((a) => a.status)).size).toBe(1);
        expect(answers[0]!.status).toBeLessThan(300);
        const ids = new Set(answers.map((a) => String(a.body[route.id])));
        expect(ids.size).toBe(1);
        const [rows] = await ctx.mysql().query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${route.table} WHERE ${route.column} = ?`, [[...ids][0]]);
        expect(Number(rows[0]!.n)).toBe(1);
      }
    });

    it(`${route.path}: 20 concurrent requests with one key and different bodies: one wins, the rest are 409 naming the key`, async () => {
      const token = await signToken(ctx.config, uniqueId('idem'));
      const answers = await fire(
        route.path,
        uniqueId('k'),
        token,
        Array.from({ length: 20 }, (_, i) => route.other(i)),
      );
      const ok = answers.filter((a) => a.status < 300);
      const conflicts = answers.filter((a) => a.status === 409);
      expect(ok).toHaveLength(1);
      expect(conflicts).toHaveLength(19);
      for (const c of conflicts) expect(c.body).toMatchObject({ error: { code: 'idempotency_key_reused', field: 'Idempotency-Key' } });
    });
  }
});

describe('security: tokens on HTTP', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  beforeAll(() => {
    ctx = testContext();
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });

  it('refuses a valid token in the query string (it would end up in logs and history)', async () => {
    const token = await signToken(ctx.config, uniqueId('u'));
    expect((await app.request(`/purchases?access_token=${token}`)).status).toBe(401);
    expect((await app.request('/purchases', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('explains the Bearer scheme to a caller who used another one', async () => {
    const res = await app.request('/purchases', { headers: { authorization: 'Token abc' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Token scheme.*Bearer <token>/);
  });
});
