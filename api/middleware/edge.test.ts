import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { signToken } from '../../platform/auth/jwt';
import type { Context } from '../../runtime/context';
import { boundPort, closeServer, listen } from '../../platform/http/serve';
import { testContext, uniqueId } from '../../test/support/context';
import { createApiApp } from '../app';

// The API's edge over a real socket and real Redis: JWT on every business route, per-user and
// per-IP limits shared through Redis, ops routes open.
describe('API edge: JWT and rate limits', () => {
  let ctx: Context;
  let server: ServerType;
  let base: string;
  beforeAll(async () => {
    ctx = testContext({ API_RATE_LIMIT_PER_USER: '3', API_RATE_LIMIT_PER_IP: '1000', API_RATE_WINDOW_MS: '60000' });
    server = await listen(createApiApp(ctx), '127.0.0.1', 0);
    base = `http://127.0.0.1:${boundPort(server)}`;
  });
  afterAll(async () => {
    if (server) await closeServer(server);
    await ctx?.lifecycle.close();
  });
  const get = (path: string, token?: string) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('refuses missing, expired, badly signed and wrong-audience tokens with 401 and a JSON error', async () => {
    const secret = new TextEncoder().encode(ctx.config.JWT_SECRET);
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, key = secret) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').sign(key);
    const tokens = {
      missing: undefined,
      expired: await sign({ iss: ctx.config.JWT_ISSUER, aud: ctx.config.JWT_AUDIENCE, exp: now - 60 }),
      badSignature: await sign({ iss: ctx.config.JWT_ISSUER, aud: ctx.config.JWT_AUDIENCE, exp: now + 60 }, new TextEncoder().encode('x'.repeat(40))),
      wrongAudience: await sign({ iss: ctx.config.JWT_ISSUER, aud: 'someone-else', exp: now + 60 }),
      wrongIssuer: await sign({ iss: 'evil', aud: ctx.config.JWT_AUDIENCE, exp: now + 60 }),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await get('/events', token);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('www-authenticate'), name).toMatch(/^Bearer/);
      expect(((await res.json()) as { error: { code: string } }).error.code, name).toBe('unauthorized');
    }
    const expired = await get('/events', tokens.expired);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toContain('expired');
  });

  it('limits each user: over the limit is 429 with Retry-After; another user is unaffected', async () => {
    const alice = await signToken(ctx.config, uniqueId('alice'));
    const bob = await signToken(ctx.config, uniqueId('bob'));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get('/events', alice)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await get('/events', alice);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await get('/events', bob)).status).toBe(200);
  });

  it('counts requests that arrive together exactly: of 8 at once, the limit (3) pass', async () => {
    // Hits of one event-loop turn go to Redis in one call; the same key in it must count each time.
    const carol = await signToken(ctx.config, uniqueId('carol'));
    const statuses = await Promise.all(Array.from({ length: 8 }, async () => (await get('/events', carol)).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });

  it('limits each IP before the token is even checked', async () => {
    const strict = testContext({ API_RATE_LIMIT_PER_IP: '2' });
    const s = await listen(createApiApp(strict), '127.0.0.1', 0);
    try {
      const url = `http://127.0.0.1:${boundPort(s)}/events`;
      // Counters are per IP and window; another test process may share 127.0.0.1, so look for the 429.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(url)).status);
      expect(statuses).toContain(429);
      expect(statuses.filter((x) => x !== 429).every((x) => x === 401)).toBe(true);
    } finally {
      await closeServer(s);
      await strict.lifecycle.close();
    }
  });

  it("counts both limits of a request in one Redis call, and a user only for requests their IP's limit let through", async () => {
    const strict = testContext({ API_RATE_LIMIT_PER_IP: '2', API_RATE_LIMIT_PER_USER: '1000', API_RATE_WINDOW_MS: '3600000' });
    const s = await listen(createApiApp(strict), '127.0.0.1', 0);
    const redis = strict.redis();
    const calls: string[][] = [];
    const evalsha = redis.evalsha.bind(redis) as (...args: unknown[]) => Promise<unknown>;
    (redis as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args: unknown[]) => {
      const keys = (args.slice(2, 2 + Number(args[1])) as string[]).filter((k) => k.startsWith('ratelimit:'));
      if (keys.length) calls.push(keys);
      return evalsha(...args);
    };
    try {
      const dave = uniqueId('dave');
      const token = await signToken(strict.config, dave);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await fetch(`http://127.0.0.1:${boundPort(s)}/events`, { headers: { authorization: `Bearer ${token}` } })).status);
      // One call per request (they went one at a time), each with the IP's key and the user's.
      expect(calls).toHaveLength(4);
      for (const keys of calls) expect(keys.map((k) => k.split(':')[1])).toEqual(['ip', 'user']);
      expect(statuses).toContain(429);
      const window = Math.floor(Date.now() / 3_600_000);
      const counted = Number((await redis.get(`ratelimit:user:${dave}:${window}`)) ?? 0);
      expect(counted).toBe(statuses.filter((x) => x === 200).length);
    } finally {
      await closeServer(s);
      await strict.lifecycle.close();
    }
  });

  it('keeps health and readiness open', async () => {
    expect((await get('/health')).status).toBe(200);
  });
});
