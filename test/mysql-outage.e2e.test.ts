import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import type { ServerType } from '@hono/node-server';
import type { RowDataPacket } from 'mysql2/promise';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { signToken } from '../platform/auth/jwt';
import { loadConfig } from '../platform/config';
import { boundPort, closeServer, listen } from '../platform/http/serve';
import { newEphemeralEnv } from '../platform/names';
import { createContext, type Context } from '../runtime/context';
import { startWorker } from '../worker';
import { ROOT, eventually, uniqueId } from './support/context';
import { provisionOn, testMysqlServer, type TestMysqlServer } from './support/mysql-server';

// MySQL down: every write route answers 503 `dependency_unavailable` with Retry-After (not 500),
// changes nothing, and the same request (same Idempotency-Key) succeeds once MySQL is back. On a
// MariaDB of this file's own (killed -9; the shared one is never touched) and an environment of its
// own on the shared Kafka, SNS/SQS, Redis and Temporal, with the API served over a real socket.
describe('MySQL down: writes answer 503 with Retry-After, change nothing, and succeed when it is back', () => {
  const RETRY_AFTER = 3;
  let mysqlServer: TestMysqlServer;
  let env: string;
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let server: ServerType;
  let base: string;
  const lines: { level: number; msg: string; dependency?: string }[] = [];

  const provision = (...args: string[]) => provisionOn(mysqlServer, env, ...args);

  beforeAll(async () => {
    const given = loadConfig();
    mysqlServer = await testMysqlServer('test-mysql-outage', { user: given.MYSQL_USER, password: given.MYSQL_PASSWORD });
    await mysqlServer.start();
    env = newEphemeralEnv('test');
    provision();
    const config = loadConfig({
      ...process.env,
      TIDINGS_ENV: env,
      MYSQL_DATABASE: undefined,
      MYSQL_PORT: String(mysqlServer.port),
      TEMPORAL_TASK_QUEUE: uniqueId(`tidings-${env}`),
      LEDGER_RELAY_ON_START: 'false',
      MESSAGE_RELAY_ON_START: 'false',
      PURCHASE_RELAY_ON_START: 'false',
      API_RATE_LIMIT_PER_USER: '100000',
      API_RATE_LIMIT_PER_IP: '100000',
      UNAVAILABLE_RETRY_AFTER_SECONDS: String(RETRY_AFTER),
    });
    // The API's log lines, to tell the outage's warnings from unhandled errors.
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as (typeof lines)[number]);
        done();
      },
    });
    ctx = createContext(config, pino({ level: 'warn' }, sink));
    app = createApiApp(ctx);
    // A purchase's cancel goes through its run: a worker carries it out.
    await startWorker(ctx);
    server = await listen(app, '127.0.0.1', 0);
    base = `http://127.0.0.1:${boundPort(server)}`;
  }, 120_000);
  afterAll(async () => {
    if (server) await closeServer(server);
    await ctx?.lifecycle.close();
    if (mysqlServer && !mysqlServer.running()) await mysqlServer.start().catch(() => undefined);
    if (env) provision('--teardown');
    await mysqlServer?.destroy();
  }, 120_000);

  interface Call {
    method: string;
    path: string;
    as: string;
    body?: unknown;
    key?: string;
  }
  const send = async ({ method, path, as, body, key }: Call) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await signToken(ctx.config, as)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const ok = async <T>(call: Call, status: number): Promise<T> => {
    const res = await send(call);
    const body = (await res.json()) as T;
    expect(res.status, `${call.method} ${call.path}: ${JSON.stringify(body)}`).toBe(status);
    return body;
  };
  /** Every table of the environment's database, by content: what "changes nothing" is checked on. */
  const checksums = async (): Promise<Record<string, unknown>> => {
    const [tables] = await ctx
      .mysql()
      .query<RowDataPacket[]>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1");
    const [sums] = await ctx.mysql().query<RowDataPacket[]>(`CHECKSUM TABLE ${tables.map((r) => `\`${String(r.t)}\``).join(', ')}`);
    return Object.fromEntries(sums.map((r) => [String(r.Table), r.Checksum]));
  };
  const ready = async () => (await (await fetch(`${base}/ready`)).json()) as { failed?: string[]; checks: Record<string, { ok: boolean }> };

  it('every write route: 503 dependency_unavailable naming mysql with Retry-After while it is down; nothing changed; the same requests succeed after the restart', async () => {
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const inADay = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    const notification = (id: string) => ({ notificationId: id, userId: alice, channel: 'web', sendAt: inADay(1), title: 'Hello', body: 'outage test' });
    const prefs = { timezone: 'UTC', channels: ['web'], quietHours: null, mutedUntil: null };

    // What the routes act on, made while MySQL is up (bob calls once: members must be known users).
    await ok({ method: 'GET', path: '/conversations', as: bob }, 200);
    await ok({ method: 'PUT', path: `/users/${alice}/notification-preferences`, as: alice, body: prefs }, 200);
    const { purchaseId } = await ok<{ purchaseId: string }>(
      { method: 'POST', path: '/purchases', as: alice, key: 'before', body: { productId: 'phone-x', quantity: 1, installments: 1 } },
      202,
    );
    const { conversationId } = await ok<{ conversationId: string }>(
      { method: 'POST', path: '/conversations', as: alice, body: { organizationId: 'acme', channel: 'whatsapp', members: [bob] } },
      201,
    );
    const { messageId } = await ok<{ messageId: string }>(
      { method: 'POST', path: `/conversations/${conversationId}/messages`, as: alice, body: { clientMessageId: 'before', text: 'hello' } },
      202,
    );
    const [toMove, toCancel] = [uniqueId('move'), uniqueId('cancel')];
    for (const id of [toMove, toCancel]) await ok({ method: 'POST', path: '/notifications', as: alice, body: notification(id) }, 202);
    expect((await ready()).checks.mysql?.ok).toBe(true);
    // Settled: the purchase and the message left their outboxes, the purchase's run made it PENDING
    // (no fulfillment runs here to move it on).
    const settled = await eventually(
      async () => {
        const first = await checksums();
        await new Promise((r) => setTimeout(r, 300)); // time passing is the point: unchanged across this window = settled
        const [waiting] = await ctx
          .mysql()
          .query<RowDataPacket[]>('SELECT (SELECT COUNT(*) FROM purchase_outbox) + (SELECT COUNT(*) FROM message_outbox) AS n');
        return Number(waiting[0]?.n) === 0 && JSON.stringify(first) === JSON.stringify(await checksums()) && first;
      },
      15_000,
      200,
    );

    const calls: (Call & { then: number })[] = [
      { method: 'POST', path: '/purchases/simulate', as: alice, body: { productId: 'phone-x', quantity: 1, installments: 3 }, then: 200 },
      { method: 'POST', path: '/purchases', as: alice, key: 'during', body: { productId: 'phone-x', quantity: 2, installments: 1 }, then: 202 },
      { method: 'POST', path: `/purchases/${purchaseId}/cancel`, as: alice, body: { reason: 'outage test' }, then: 200 },
      { method: 'POST', path: '/events', as: alice, key: 'during', body: { type: 'outage.test', payload: { n: 1 } }, then: 202 },
      { method: 'POST', path: '/conversations', as: alice, body: { organizationId: 'acme', channel: 'instagram', members: [bob] }, then: 201 },
      { method: 'POST', path: `/conversations/${conversationId}/messages`, as: alice, body: { clientMessageId: 'during', text: 'still there?' }, then: 202 },
      { method: 'POST', path: `/conversations/${conversationId}/read`, as: bob, body: { upToMessageId: messageId }, then: 200 },
      { method: 'POST', path: '/ledger/entries', as: alice, key: 'during', body: ledgerEntry('12.34'), then: 201 },
      // Without a key, the post joins a group commit: the other path to MySQL.
      { method: 'POST', path: '/ledger/entries', as: alice, body: ledgerEntry('0.99'), then: 201 },
      { method: 'POST', path: '/notifications', as: alice, body: notification(uniqueId('during')), then: 202 },
      {
        method: 'POST',
        path: '/notifications/batch',
        as: alice,
        body: { notifications: [notification(uniqueId('b1')), notification(uniqueId('b2'))] },
        then: 202,
      },
      { method: 'PATCH', path: `/notifications/${toMove}`, as: alice, body: { sendAt: inADay(2) }, then: 200 },
      { method: 'DELETE', path: `/notifications/${toCancel}`, as: alice, then: 200 },
      { method: 'PUT', path: `/users/${alice}/notification-preferences`, as: alice, body: { ...prefs, channels: ['web', 'email'] }, then: 200 },
    ];
    // Every write route of the app is in the list (a route added later without a case fails here);
    // the open ones store nothing: /ping starts a workflow, /dev/token signs a token.
    const writes = app.routes.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !['/ping', '/dev/token'].includes(r.path));
    const pattern = (p: string) => new RegExp(`^${p.replace(/:[^/]+/g, '[^/]+')}$`);
    const untried = writes.filter((r) => !calls.some((c) => c.method === r.method && pattern(r.path).test(c.path)));
    expect(untried.map((r) => `${r.method} ${r.path}`)).toEqual([]);

    await mysqlServer.kill();
    try {
      const down = await ready();
      expect(down.failed).toContain('mysql');
      expect(down.checks.mysql?.ok).toBe(false);
      const started = Date.now();
      for (const call of [...calls, { method: 'GET', path: `/purchases/${purchaseId}`, as: alice, then: 200 }]) {
        const res = await send(call);
        const body = (await res.json()) as { error?: Record<string, unknown> };
        expect([call.method, call.path, res.status, res.headers.get('retry-after')]).toEqual([call.method, call.path, 503, String(RETRY_AFTER)]);
        expect(body.error).toMatchObject({ code: 'dependency_unavailable', dependency: 'mysql', retryAfterSeconds: RETRY_AFTER });
        expect(body.error?.message).toMatch(/database is unavailable/);
      }
      // Refused at once, not after a timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
      // Logged as the outage it is (a warning with its cause), never as an unhandled error.
      expect(lines.filter((l) => l.msg === 'unhandled error')).toEqual([]);
      expect(lines.filter((l) => l.msg === 'mysql unavailable: answered 503' && l.level === 40)).toHaveLength(calls.length + 1);
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^tidings_dependency_unavailable_total\{dependency="mysql"\} \d+/m);
    } finally {
      await mysqlServer.start();
    }

    await eventually(async () => (await ready()).checks.mysql?.ok, 20_000, 200);
    // Nothing the refused requests carried was stored: every table is as it was before the kill.
    expect(await checksums()).toEqual(settled);
    // The same requests again, same keys and bodies: each is a first success (no key was claimed).
    for (const call of calls) {
      const res = await send(call);
      const text = await res.text();
      expect([call.method, call.path, res.status, text]).toEqual([call.method, call.path, call.then, text]);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expect(res.headers.get('retry-after')).toBeNull();
    }
  }, 60_000);
});

function ledgerEntry(amount: string) {
  return { type: 'credit', amount, currency: 'BRL', description: 'outage test', occurredAt: new Date().toISOString().slice(0, 10) };
}
