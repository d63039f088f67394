import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { signToken } from '../platform/auth/jwt';
import { createContext, type Context } from '../runtime/context';
import { testConfig, uniqueId } from './support/context';

// Tokens on HTTP: only `Authorization: Bearer <token>`. A token in the query string ends up in access
// logs, proxies and browser history, so the API refuses it (the WebSocket upgrade, where browsers
// cannot set headers, is the one exception: gateway/token-logging.test.ts). User B against user A
// on every route is test/cross-user.e2e.test.ts; idempotency under concurrency is
// test/idempotency.e2e.test.ts.
describe('security: tokens on HTTP', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let logged = '';
  beforeAll(() => {
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        logged += chunk.toString();
        done();
      },
    });
    ctx = createContext(testConfig({ API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' }), pino({ level: 'trace' }, sink));
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;
  /** One read route per business resource. */
  const reads = ['/purchases', '/events', `/ledger/entries?date=${new Date().toISOString().slice(0, 10)}`, '/notifications', '/conversations', '/products'];

  it('refuses a valid token in the query string on every resource, and takes the same token from the header', async () => {
    const token = await signToken(ctx.config, uniqueId('u'));
    for (const path of reads) {
      const sep = path.includes('?') ? '&' : '?';
      const res = await app.request(`${path}${sep}access_token=${token}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await errorOf(res)).toMatchObject({
        code: 'unauthorized',
        field: 'authorization',
        message: expect.stringMatching(/Authorization: Bearer <token>/) as unknown,
      });
      expect((await app.request(path, { headers: { authorization: `Bearer ${token}` } })).status, path).toBe(200);
    }
  });

  it('explains the Bearer scheme to a caller who used another one, without echoing the credentials', async () => {
    for (const [header, scheme] of [
      ['Token abc123secret', 'Token'],
      ['Basic YWxpY2U6c2VjcmV0', 'Basic'],
    ] as const) {
      const res = await app.request('/purchases', { headers: { authorization: header } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const error = await errorOf(res);
      expect(error).toMatchObject({ code: 'unauthorized', field: 'authorization' });
      expect(error.message).toBe(`the Authorization header uses the ${scheme} scheme; send "Authorization: Bearer <token>"`);
      expect(error.message).not.toContain(header.split(' ')[1]);
    }
  });

  it('a Bearer header without a single token is malformed (401); the scheme itself is case-insensitive', async () => {
    for (const header of ['Bearer', 'Bearer ', 'Bearer a b']) {
      const res = await app.request('/purchases', { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
      expect((await errorOf(res)).message).toMatch(/malformed bearer token/);
    }
    const token = await signToken(ctx.config, uniqueId('u'));
    expect((await app.request('/purchases', { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
  });

  it('no log line holds a token, whether it came in the query string or the header', async () => {
    const token = await signToken(ctx.config, uniqueId('u'));
    logged = '';
    await app.request(`/purchases?access_token=${token}`);
    await app.request('/purchases', { headers: { authorization: `Bearer ${token}` } });
    await app.request('/purchases', { headers: { authorization: `Bearer ${token}x` } });
    expect(logged).toMatch(/"msg":"request"/);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain('access_token');
  });
});
