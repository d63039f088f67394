import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { testContext, uniqueId } from '../test/support/context';
import { createApiApp } from './app';

// Requests Schemathesis generated (npm run test:contract, README "The API contract") that the API
// answered with a 500 or refused although the OpenAPI document allowed them, in process over the
// real servers. The document's side of each is in api/openapi/openapi.test.ts.
describe('contract regressions', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let token: string;
  let user: string;
  beforeAll(async () => {
    ctx = testContext({ API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' });
    app = createApiApp(ctx);
    user = uniqueId('fuzz');
    token = await signToken(ctx.config, user, { claims: { scope: SCOPES.scheduleAnyNotification } });
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('conversation members that differ only in case are one member (MySQL compares them so), not a 500', async () => {
    const friend = uniqueId('Friend');
    // A user the API knows (one who has called it), as conversation members must be.
    await app.request('/conversations', { headers: { authorization: `Bearer ${await signToken(ctx.config, friend)}` } });
    const res = await call('POST', '/conversations', {
      organizationId: 'acme',
      channel: 'whatsapp',
      members: [friend, friend.toLowerCase(), friend.toUpperCase()],
    });
    expect(res.status).toBe(201);
    expect(res.body.members).toEqual([user, friend]);
    // Not visible ASCII: refused, as the document's pattern says.
    expect((await call('POST', '/conversations', { organizationId: 'acme', channel: 'whatsapp', members: ['bö b'] })).status).toBe(400);
  });

  it('preferences naming a channel twice store it once, not a 500', async () => {
    const res = await call('PUT', `/users/${user}/notification-preferences`, {
      timezone: 'UTC',
      channels: ['sms', 'sms', 'sms'],
      quietHours: null,
      mutedUntil: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.channels).toEqual(['sms']);
    expect((await call('GET', `/users/${user}/notification-preferences`)).body).toMatchObject({ channels: ['sms'] });
  });

  it('a sendAt long past (the year 20) is scheduled as soon as possible, not stored as a date MySQL cannot hold', async () => {
    const id = uniqueId('old');
    const before = Date.now();
    const res = await call('POST', '/notifications', {
      notificationId: id,
      userId: user,
      channel: 'sms',
      sendAt: '0020-02-29T00:00:00Z',
      title: 't',
      body: 'b',
    });
    expect(res.status).toBe(202);
    const got = await call('GET', `/notifications/${id}`);
    expect(got.status).toBe(200);
    expect(Date.parse(String(got.body.sendAt))).toBeGreaterThanOrEqual(before - 1000);
  });

  it('a notification id repeated in a batch is a duplicate of its first, not a 422', async () => {
    const id = uniqueId('rep');
    const n = { notificationId: id, userId: user, channel: 'sms', sendAt: new Date(Date.now() + 3_600_000).toISOString(), title: 't', body: 'b' };
    const res = await call('POST', '/notifications/batch', { notifications: [n, n] });
    expect(res.status).toBe(202);
    expect(res.body.notifications).toEqual([
      { notificationId: id, duplicate: false, statusUrl: `/notifications/${id}` },
      { notificationId: id, duplicate: true, statusUrl: `/notifications/${id}` },
    ]);
  });

  it('a ledger amount of zero and a date before the year 1000 are refused by the patterns the document states', async () => {
    const entry = { type: 'credit', amount: '0.00', currency: 'BRL', description: 'x', occurredAt: '2026-01-02' };
    expect(await call('POST', '/ledger/entries', entry)).toMatchObject({ status: 400, body: { error: { field: 'amount' } } });
    expect(await call('POST', '/ledger/entries', { ...entry, amount: '0.01', occurredAt: '0999-12-31' })).toMatchObject({
      status: 400,
      body: { error: { field: 'occurredAt' } },
    });
    expect((await call('POST', '/ledger/entries', { ...entry, amount: '0.01' })).status).toBe(201);
  });
});
