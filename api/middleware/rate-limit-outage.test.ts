import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../platform/auth/jwt';
import { createContext, type Context } from '../../runtime/context';
import { eventually, freePort, testConfig, uniqueId } from '../../test/support/context';
import { createApiApp } from '../app';

// The rate limiter when its Redis dies: a real redis-server of this test's own (the shared one is
// never stopped), killed -9 and started again on the same port.
describe('rate limits while Redis is down', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  const lines: { level: number; msg: string; by?: string }[] = [];

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

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as (typeof lines)[number]);
        done();
      },
    });
    ctx = createContext(testConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, API_RATE_LIMIT_PER_USER: '3', LOG_LEVEL: 'info' }), pino({ level: 'info' }, sink));
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
    await killRedis();
  });

  const as = async (user: string) => {
    const token = await signToken(ctx.config, user);
    return (method: string, path: string, body?: unknown) =>
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  };
  const quote = { productId: 'phone-x', quantity: 1, installments: 1 };
  const degraded = async () => /tidings_rate_limiter_degraded\{by="user"\} (\d)/.exec(await (await app.request('/metrics')).text())?.[1];
  const outageLines = () => lines.filter((l) => /Redis unreachable/.test(l.msg));

  it('with Redis: the shared counter limits a user to the configured rate', async () => {
    const call = await as(uniqueId('u'));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('POST', '/purchases/simulate', quote)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(await degraded()).toBe('0');
  });

  it('Redis killed: reads pass, writes are limited in process, the outage is logged once and shown in metrics; back when Redis is', async () => {
    await killRedis();
    const call = await as(uniqueId('u'));
    for (let i = 0; i < 10; i++) expect((await call('GET', '/products')).status).toBe(200);
    const writes = [];
    for (let i = 0; i < 5; i++) writes.push((await call('POST', '/purchases/simulate', quote)).status);
    expect(writes).toEqual([200, 200, 200, 429, 429]);
    expect(outageLines()).toHaveLength(1);
    expect(outageLines()[0]).toMatchObject({ level: 40, by: 'user' });
    expect(await degraded()).toBe('1');
    expect(await (await app.request('/metrics')).text()).toMatch(/tidings_rate_limit_fallback_total\{by="user",policy="open"\} 10/);

    await startRedis();
    const again = await as(uniqueId('u'));
    await eventually(async () => (await again('GET', '/products')).status === 200 && (await degraded()) === '0', 15_000, 200);
    expect(lines.some((l) => /Redis is back/.test(l.msg))).toBe(true);
    expect(outageLines()).toHaveLength(1);
  }, 60_000);
});
