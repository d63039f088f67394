import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import type { ServerType } from '@hono/node-server';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../platform/auth/jwt';
import { boundPort, closeServer, listen } from '../../platform/http/serve';
import { createContext, type Context } from '../../runtime/context';
import { eventually, freePort, testConfig, uniqueId } from '../../test/support/context';
import { createApiApp } from '../app';

// The rate limiters when their Redis dies: a real redis-server of this test's own (the shared one is
// never stopped), killed -9 and started again on the same port. Over a real socket, so both the
// per-IP and the per-user limiter are in the path, as in production.
describe('rate limits while Redis is down', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let ctx: Context;
  let server: ServerType;
  let base: string;
  const lines: { level: number; msg: string }[] = [];

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await eventually(async () => {
      const probe = createContext(testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }), pino({ level: 'silent' }));
      try {
        return (await probe.redis().ping()) === 'PONG';
      } finally {
        await probe.lifecycle.close();
      }
    }, 10_000);
  };
  const killRedis = () =>
    new Promise<void>((resolve) => {
      if (!redis || redis.exitCode !== null) return resolve();
      redis.once('exit', () => resolve());
      redis.kill('SIGKILL');
    });
  // Should this test process die before afterAll, its redis-server must not outlive it.
  const reap = () => redis?.kill('SIGKILL');

  beforeAll(async () => {
    process.once('exit', reap);
    port = await freePort();
    await startRedis();
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as (typeof lines)[number]);
        done();
      },
    });
    ctx = createContext(
      testConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, API_RATE_LIMIT_PER_USER: '3', API_RATE_LIMIT_PER_IP: '1000', LOG_LEVEL: 'info' }),
      pino({ level: 'info' }, sink),
    );
    server = await listen(createApiApp(ctx), '127.0.0.1', 0);
    base = `http://127.0.0.1:${boundPort(server)}`;
  });
  afterAll(async () => {
    if (server) await closeServer(server);
    await ctx?.lifecycle.close();
    await killRedis();
    process.off('exit', reap);
  });

  const as = async (user: string) => {
    const token = await signToken(ctx.config, user);
    return (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  };
  const quote = { productId: 'phone-x', quantity: 1, installments: 1 };
  const metricsText = async () => (await fetch(`${base}/metrics`)).text();
  const degraded = async () => /^tidings_rate_limiter_degraded (\d)$/m.exec(await metricsText())?.[1];
  const fallbacks = async (by: string, policy: string) =>
    Number(new RegExp(`^tidings_rate_limit_fallback_total\\{by="${by}",policy="${policy}"\\} (\\d+)$`, 'm').exec(await metricsText())?.[1] ?? 0);
  const outageLines = () => lines.filter((l) => /Redis unreachable/.test(l.msg));
  const backLines = () => lines.filter((l) => /Redis is back/.test(l.msg));
  const writes = async (call: Awaited<ReturnType<typeof as>>, n: number) => {
    const answers = [];
    for (let i = 0; i < n; i++) answers.push(await call('POST', '/purchases/simulate', quote));
    return answers;
  };

  it('with Redis: the shared counter limits a user to the configured rate', async () => {
    const answers = await writes(await as(uniqueId('u')), 4);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3]!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await degraded()).toBe('0');
    expect(outageLines()).toEqual([]);
  });

  it('Redis killed: reads pass, writes are limited in process; one log line per outage, not per limiter or request; in metrics; back when Redis is', async () => {
    await killRedis();
    const call = await as(uniqueId('u'));
    // Reads fail open: ten of them, over a limit of three.
    for (let i = 0; i < 10; i++) expect((await call('GET', '/products')).status).toBe(200);
    // Writes fall back to a per-instance counter with the same limit.
    const answers = await writes(call, 5);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers[3]!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await answers[3]!.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Fifteen requests through two limiters: still one line.
    expect(outageLines()).toHaveLength(1);
    expect(outageLines()[0]).toMatchObject({ level: 40 });
    expect(await degraded()).toBe('1');
    expect(await fallbacks('user', 'open')).toBe(10);
    expect(await fallbacks('ip', 'open')).toBe(10);
    expect(await fallbacks('user', 'local')).toBe(5);
    expect(await fallbacks('ip', 'local')).toBe(5);

    await startRedis();
    const again = await as(uniqueId('u'));
    await eventually(async () => (await again('GET', '/products')).status === 200 && (await degraded()) === '0', 15_000, 200);
    expect(backLines()).toHaveLength(1);
    expect(outageLines()).toHaveLength(1);
    // Shared counters again: a fresh user is limited by Redis.
    expect((await writes(await as(uniqueId('u')), 4)).map((r) => r.status)).toEqual([200, 200, 200, 429]);
  }, 60_000);
});
