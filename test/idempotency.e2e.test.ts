import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { ROOT, testContext, uniqueId } from './support/context';

// Idempotency under concurrency, against the real API and MySQL: a client retrying under a timeout
// (or a proxy fanning out a retry) sends the same request many times at once. Every copy must get
// the first request's answer and exactly one resource must exist; a different body under the same
// key is a 409 that says so. None of them may see a 500 (the deadlocks of issue #15).

const N = 20;
const day = new Date().toISOString().slice(0, 10);

interface IdempotentRoute {
  /** The `scope` its handler claims keys under (see claimIdempotencyKey). */
  scope: string;
  path: string;
  status: number;
  body: () => Record<string, unknown>;
  /** Request i of a burst with one key and 20 different bodies. */
  other: (i: number) => Record<string, unknown>;
  /** The answer's id field, and where that resource lives (table, id column, owner column). */
  id: string;
  table: string;
  column: string;
  owner: string;
  /** Moves the resource on, as its workflow would: a replay must still answer what the first request did. */
  advance?: (ctx: Context, id: string) => Promise<unknown>;
}

/** Every route that takes an Idempotency-Key. A new one must be added here (the first test checks). */
const ROUTES: IdempotentRoute[] = [
  {
    scope: 'purchases',
    path: '/purchases',
    status: 202,
    body: () => ({ productId: 'gift-card-100', quantity: 1, installments: 1 }),
    // All valid (a body the quote refuses is a 422 before any key is claimed).
    other: (i) => ({ productId: 'phone-x', quantity: 1 + Math.floor(i / 10), installments: 1 + (i % 10) }),
    id: 'purchaseId',
    table: 'purchases',
    column: 'purchase_id',
    owner: 'user_id',
    advance: (ctx, id) => ctx.mysql().query("UPDATE purchases SET status = 'PENDING' WHERE purchase_id = ?", [id]),
  },
  {
    scope: 'ledger',
    path: '/ledger/entries',
    status: 201,
    body: () => ({ type: 'credit', amount: '3.00', currency: 'BRL', description: 'once', occurredAt: day }),
    other: (i) => ({ type: 'credit', amount: `${3 + i}.00`, currency: 'BRL', description: 'once', occurredAt: day }),
    id: 'entryId',
    table: 'ledger_entries',
    column: 'entry_id',
    owner: 'merchant_id',
  },
  {
    scope: 'events',
    path: '/events',
    status: 202,
    body: () => ({ type: 'once.only', payload: { n: 1 } }),
    other: (i) => ({ type: 'once.only', payload: { n: i } }),
    id: 'eventId',
    table: 'events',
    column: 'event_id',
    owner: 'user_id',
  },
];

/** The scopes claimed in api/**\/routes.ts: each is a route taking an Idempotency-Key. */
function claimedScopes(): string[] {
  const api = path.join(ROOT, 'api');
  const files = readdirSync(api, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  return files.flatMap((f) => [...readFileSync(path.join(api, f), 'utf8').matchAll(/claimIdempotencyKey\([^)]*?scope:\s*'([^']+)'/gs)].map((m) => m[1]!));
}

describe('idempotency under concurrency', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  beforeAll(() => {
    ctx = testContext({ API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' });
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });

  /** Sends every body at once with one key; answers in the order sent. */
  const burst = (route: IdempotentRoute, token: string, key: string, bodies: Record<string, unknown>[]) =>
    Promise.all(
      bodies.map(async (body) => {
        const res = await app.request(route.path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        });
        return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', body: (await res.json()) as Record<string, unknown> };
      }),
    );
  const count = async (route: IdempotentRoute, owner: string) => {
    const [rows] = await ctx.mysql().query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${route.table} WHERE ${route.owner} = ?`, [owner]);
    return Number(rows[0]!.n);
  };

  it('covers every route that claims an Idempotency-Key', () => {
    expect(claimedScopes().sort()).toEqual(ROUTES.map((r) => r.scope).sort());
  });

  for (const route of ROUTES) {
    it(`POST ${route.path}: ${N} at once with one key and one body all get the first answer (status and body); one resource`, async () => {
      const user = uniqueId('idem');
      const token = await signToken(ctx.config, user);
      for (let round = 0; round < 3; round++) {
        const answers = await burst(route, token, uniqueId('k'), Array.from({ length: N }, route.body));
        expect(answers.map((a) => a.status)).toEqual(Array(N).fill(route.status));
        // One request created it; the others are replays of its answer, marked as such.
        expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
        const original = answers.find((a) => !a.replayed)!.body;
        for (const a of answers) expect(a.body).toEqual(original);
        const [rows] = await ctx.mysql().query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${route.table} WHERE ${route.column} = ?`, [original[route.id]]);
        expect(Number(rows[0]!.n)).toBe(1);
      }
      expect(await count(route, user)).toBe(3);
    });

    it(`POST ${route.path}: ${N} at once with one key and ${N} different bodies: one wins, the other ${N - 1} are 409 naming the key; a retry of the winner gets its answer`, async () => {
      const user = uniqueId('idem');
      const token = await signToken(ctx.config, user);
      const key = uniqueId('k');
      const bodies = Array.from({ length: N }, (_, i) => route.other(i));
      const answers = await burst(route, token, key, bodies);
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      const winners = answers.flatMap((a, i) => (a.status === route.status ? [{ ...a, sent: bodies[i]! }] : []));
      expect(winners).toHaveLength(1);
      const conflicts = answers.filter((a) => a.status === 409);
      expect(conflicts).toHaveLength(N - 1);
      for (const c of conflicts) {
        expect(c.body).toMatchObject({
          error: { code: 'idempotency_key_reused', field: 'Idempotency-Key', message: expect.stringMatching(/different request body/) as unknown },
        });
      }
      expect(await count(route, user)).toBe(1);
      await route.advance?.(ctx, String(winners[0]!.body[route.id]));
      const [retry] = await burst(route, token, key, [winners[0]!.sent]);
      expect(retry).toMatchObject({ status: route.status, replayed: true, body: winners[0]!.body });
    });
  }
});

// Routes made idempotent by an id the client chooses rather than a key header: the same id sent
// many times at once is one resource, and no copy fails.
describe('idempotency by client-chosen id under concurrency', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  beforeAll(() => {
    ctx = testContext({ API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' });
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });
  const as = async (user: string) => {
    const token = await signToken(ctx.config, user);
    return async (method: string, path: string, body: unknown) => {
      const res = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
  };

  it(`POST /notifications: ${N} at once with one notificationId are one notification, every answer 202 with its id`, async () => {
    const user = uniqueId('u');
    const call = await as(user);
    const n = { notificationId: uniqueId('n'), userId: user, channel: 'web', sendAt: new Date(Date.now() + 3_600_000).toISOString(), title: 't', body: 'b' };
    const answers = await Promise.all(Array.from({ length: N }, () => call('POST', '/notifications', n)));
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(202));
    for (const a of answers) expect(a.body).toMatchObject({ notificationId: n.notificationId, status: answers[0]!.body.status });
    // The one that stored it says so; every other answer is a duplicate (issue #32: 10–17 of 20 said false).
    expect(answers.filter((a) => a.body.duplicate === false).length).toBe(1);
    const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM notifications WHERE user_id = ?', [user]);
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it(`POST /notifications/batch: ${N} batches at once sharing ids store each once, and each id is created by exactly one`, async () => {
    const user = uniqueId('u');
    const call = await as(user);
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const ids = [uniqueId('b'), uniqueId('b'), uniqueId('b')];
    // Each batch has the three ids, the first one twice (a repeat is a duplicate of its first).
    const batch = {
      notifications: [ids[0], ...ids, ids[0]].map((id) => ({ notificationId: id, userId: user, channel: 'web', sendAt, title: 't', body: 'b' })),
    };
    const answers = await Promise.all(Array.from({ length: N }, () => call('POST', '/notifications/batch', batch)));
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(202));
    const results = answers.flatMap((a) => a.body.notifications as { notificationId: string; duplicate: boolean }[]);
    for (const id of ids) expect(results.filter((r) => r.notificationId === id && !r.duplicate).length, id).toBe(1);
    const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM notifications WHERE user_id = ?', [user]);
    expect(Number(rows[0]!.n)).toBe(3);
  });

  it(`POST /conversations/:id/messages: ${N} at once with one clientMessageId are one message, every answer 202 with its id`, async () => {
    const call = await as(uniqueId('u'));
    const friend = uniqueId('f');
    await (
      await as(friend)
    )('GET', '/conversations', undefined); // a known user
    const conv = await call('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [friend] });
    const id = String(conv.body.conversationId);
    const answers = await Promise.all(Array.from({ length: N }, () => call('POST', `/conversations/${id}/messages`, { clientMessageId: 'once', text: 'hi' })));
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(202));
    expect(new Set(answers.map((a) => a.body.messageId)).size).toBe(1);
    const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [id]);
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
