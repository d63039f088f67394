import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../platform/auth/jwt';
import { createContext, type Context } from '../runtime/context';
import { testConfig, uniqueId } from '../test/support/context';
import { createApiApp } from './app';

// HTTP conventions of the API, in process (app.request) over the real Redis and MySQL: 405 with
// Allow, request ids and one access log line per request, security headers, CORS only where
// configured, unknown fields refused, validation messages written for people.
describe('API conventions', () => {
  let ctx: Context;
  let corsCtx: Context;
  let app: ReturnType<typeof createApiApp>;
  let token: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    ctx = createContext(testConfig({ LOG_LEVEL: 'info' }), pino({ level: 'info' }, sink));
    corsCtx = createContext(testConfig({ CORS_ORIGINS: 'https://app.example.com' }), pino({ level: 'silent' }));
    app = createApiApp(ctx);
    token = await signToken(ctx.config, uniqueId('conv'));
  });
  afterAll(async () => {
    await Promise.all([ctx?.lifecycle.close(), corsCtx?.lifecycle.close()]);
  });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('a known path with the wrong method is 405 with Allow, not 404', async () => {
    const res = await call('PUT', '/purchases/simulate', {});
    expect(res.status).toBe(405);
    // Only the methods of /purchases/simulate itself, not of /purchases/:id that its path also matches.
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    const health = await app.request('/health', { method: 'DELETE' });
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD']);
    expect((await call('GET', '/no-such-thing')).status).toBe(404);
  });

  it('Allow lists the methods of the most specific route only, as the OpenAPI document does (OPTIONS included)', async () => {
    for (const [method, path, allow] of [
      ['OPTIONS', '/notifications/batch', 'POST'],
      ['GET', '/notifications/batch', 'POST'],
      ['OPTIONS', '/purchases/simulate', 'POST'],
      ['GET', '/purchases/simulate', 'POST'],
      ['OPTIONS', '/notifications/some-id', 'GET, HEAD, PATCH, DELETE'],
      ['DELETE', '/', 'GET, HEAD'], // (Schemathesis sent TRACE; fetch's Request refuses that method)
    ] as const) {
      const res = await call(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')?.split(', ').sort(), `${method} ${path}`).toEqual(allow.split(', ').sort());
    }
    // An unknown notification id is still a 404, not a 405.
    expect((await call('GET', '/notifications/no-such-id')).status).toBe(404);
  });

  it('an Idempotency-Key is checked the same way on every route that takes one: sent empty is refused, not "no key"', async () => {
    const routes: [string, unknown][] = [
      ['/events', { type: 'order.shipped', payload: {} }],
      ['/ledger/entries', { type: 'credit', amount: '1.00', currency: 'BRL', description: 'x', occurredAt: '2026-01-02' }],
      ['/purchases', { productId: 'gift-card-100', quantity: 1, installments: 1 }],
    ];
    for (const [path, body] of routes) {
      for (const key of ['', 'has space', 'é', 'x'.repeat(129)]) {
        const res = await call('POST', path, body, { 'idempotency-key': key });
        expect(res.status, `${path} with key ${JSON.stringify(key)}`).toBe(400);
        expect(await res.json()).toMatchObject({ error: { field: 'Idempotency-Key' } });
      }
    }
  });

  it("every response carries a request id: the caller's, or a new one; one access log line each, without the query", async () => {
    const mine = await call('POST', '/purchases/simulate', { productId: 'phone-x', quantity: 1, installments: 1 }, { 'x-request-id': 'trace-me-42' });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('x-request-id')).toBe('trace-me-42');
    const made = await call('GET', '/notifications?userId=someone&secret=abc');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const line = lines.find((l) => l.msg === 'request' && l.requestId === 'trace-me-42');
    expect(line).toMatchObject({ method: 'POST', path: '/purchases/simulate', status: 200 });
    expect(typeof line?.ms).toBe('number');
    expect(line?.userId).toMatch(/^conv-/);
    const other = lines.find((l) => l.msg === 'request' && l.requestId === made.headers.get('x-request-id'));
    expect(other?.path).toBe('/notifications');
    expect(JSON.stringify(other)).not.toContain('secret=abc');
  });

  it('sends security headers', async () => {
    const res = await app.request('/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toContain('max-age');
  });

  it('answers CORS preflights without auth only for configured origins', async () => {
    const preflight = {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    };
    const allowed = await createApiApp(corsCtx).request('/purchases', preflight);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    const stranger = await createApiApp(corsCtx).request('/purchases', { ...preflight, headers: { ...preflight.headers, origin: 'https://evil.example' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    // Not configured (the default): no CORS headers at all.
    expect((await app.request('/purchases', preflight)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses unknown body fields with 422 naming the field, and changes nothing', async () => {
    const key = uniqueId('k');
    const res = await call('POST', '/purchases', { productId: 'phone-x', quantity: 1, installments: 1, quantitty: 2 }, { 'idempotency-key': key });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: 'unknown_field', field: 'quantitty' } });
    const [rows] = await ctx.mysql().query('SELECT 1 FROM idempotency_keys WHERE idem_key = ?', [key]);
    expect(rows).toEqual([]);
  });

  it('writes validation messages for people', async () => {
    const missing = await call('POST', '/purchases/simulate', { quantity: 1, installments: 1 });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { field: 'productId', message: 'productId is required' } });
    const wrongType = await call('POST', '/purchases/simulate', { productId: 'phone-x', quantity: 'two', installments: 1 });
    expect(await wrongType.json()).toMatchObject({ error: { field: 'quantity', message: 'quantity must be a number' } });
    // One clear error for a date that is not a date, not "in the past" and "a year ahead" with it.
    const tomorrow = await call('POST', '/notifications', {
      notificationId: uniqueId('n'),
      userId: 'someone',
      channel: 'web',
      sendAt: 'tomorrow',
      title: 't',
      body: 'b',
    });
    const body = (await tomorrow.json()) as { error: { field: string; issues: { field: string; message: string }[] } };
    expect(body.error.field).toBe('sendAt');
    expect(body.error.issues).toEqual([{ field: 'sendAt', message: 'an ISO 8601 date-time' }]);
  });
});
