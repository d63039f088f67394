import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { startKafkaConsumer } from '../consumers/kafka-runner';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';

import { startWorker } from '../worker';
import { dayCloseWorkflowId, outboxRelayId } from '../workflows/ledger';
import { eventually, testContext, testNames, uniqueId } from './support/context';

const names = testNames();

interface Day {
  date: string;
  credits: string;
  debits: string;
  net: string;
  closing: string;
  opening: string;
  entryCount: number;
  consolidatedCount: number;
  pendingEntries: number;
  closed: boolean;
}

// The ledger across the real servers: posting through the outbox with Temporal unreachable, the
// relay consolidating exactly once, concurrency, idempotency and the edge's refusals.
describe('cash-flow ledger across the real servers', () => {
  let ctx: Context; // the worker's: real Temporal
  let apiCtx: Context; // the API's: Temporal unreachable, to prove posting does not need it
  let api: ReturnType<typeof createApiApp>;
  const day = new Date().toISOString().slice(0, 10); // today: its close is still ahead

  const post = (token: string, body: unknown, headers: Record<string, string> = {}, app = api) =>
    app.request('/ledger/entries', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const balance = async (token: string, date = day): Promise<Day | undefined> => {
    const res = await api.request(`/ledger/balances/daily?date=${date}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { days: Day[] }).days[0];
  };
  const merchant = async () => {
    const id = uniqueId('merchant');
    return { id, token: await signToken(ctx.config, id) };
  };
  const entriesOf = async (merchantId: string) =>
    Number((await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM ledger_entries WHERE merchant_id = ?', [merchantId]))[0][0]!.n);

  beforeAll(async () => {
    ctx = testContext({ LEDGER_RELAY_ON_START: 'true', LEDGER_RELAY_IDLE_MS: '500' });
    apiCtx = testContext({ TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE });
    api = createApiApp(apiCtx);
  });
  afterAll(async () => {
    const client = await ctx.temporal();
    await client.workflow
      .getHandle(outboxRelayId(ctx.config.TIDINGS_ENV, ctx.config.TEMPORAL_TASK_QUEUE))
      .terminate('test over')
      .catch(() => undefined);
    await ctx?.lifecycle.close();
    await apiCtx?.lifecycle.close();
  });

  it('posts 100 entries with the worker and Temporal unreachable (all 201); once they are back the balance is exact', async () => {
    const m = await merchant();
    let expected = 0;
    const statuses: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const credit = i % 3 !== 0;
      const cents = i * 101;
      expected += credit ? cents : -cents;
      const res = await post(m.token, {
        type: credit ? 'credit' : 'debit',
        amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
        currency: 'BRL',
        description: `entry ${i}`,
        occurredAt: day,
      });
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 201)).toBe(true);
    const before = await balance(m.token);
    expect(before).toMatchObject({ entryCount: 100, consolidatedCount: 0, pendingEntries: 100 });

    await startWorker(ctx); // the worker starts the relay, which drains the outbox
    const after = await eventually(async () => {
      const b = await balance(m.token);
      return b?.pendingEntries === 0 && b;
    }, 30_000);
    const net = Math.round(Number(after.net) * 100);
    expect(net).toBe(expected);
    expect(after).toMatchObject({ entryCount: 100, consolidatedCount: 100, opening: '0.00', closed: false });
    expect(Math.round(Number(after.closing) * 100)).toBe(expected);
    const client = await ctx.temporal();
    // Started by the relay right after the batch commits; it sleeps on its durable timer until the day is over.
    const close = await eventually(() => client.workflow.getHandle(dayCloseWorkflowId(ctx.config.TIDINGS_ENV, m.id, day)).describe(), 15_000);
    expect(close.status.name).toBe('RUNNING');

    // A day long over closes as soon as its first entry is consolidated.
    const past = '2026-01-15';
    expect((await post(m.token, { type: 'credit', amount: '5.00', currency: 'BRL', description: 'late', occurredAt: past })).status).toBe(201);
    const closed = await eventually(async () => {
      const b = await balance(m.token, past);
      return b?.closed && b;
    }, 30_000);
    expect(closed).toMatchObject({ credits: '5.00', consolidatedCount: 1 });
    // Its opening balance is what came before; today's opening now includes it.
    expect((await balance(m.token))?.opening).toBe('5.00');
  }, 60_000);

  it('50 concurrent posts to one merchant and day lose no update; a forced duplicate dispatch is applied once; Kafka hears each', async () => {
    const m = await merchant();
    const heard = new Set<string>();
    const reader = await startKafkaConsumer({
      name: 'ledger-reader',
      kafka: ctx.kafka(),
      producer: ctx.producer,
      log: ctx.log,
      groupId: uniqueId('ledger-reader'),
      topics: [names.topics.ledgerEntryPosted],
      fromBeginning: false,
      handle: async (msg) => {
        if (msg.key?.toString() === m.id) heard.add((JSON.parse(msg.value!.toString()) as { entryId: string }).entryId);
      },
    });
    await reader.ready;
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => post(m.token, { type: 'credit', amount: `${i + 1}.25`, currency: 'BRL', description: `c${i}`, occurredAt: day })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
      const expected = Array.from({ length: 50 }, (_, i) => (i + 1) * 100 + 25).reduce((a, b) => a + b, 0);
      const done = await eventually(async () => {
        const b = await balance(m.token);
        return b?.consolidatedCount === 50 && b;
      }, 30_000);
      expect(Math.round(Number(done.credits) * 100)).toBe(expected);

      // Force every entry through the relay again: each outbox row's applied_at keeps the balance as is.
      await ctx.mysql().query('UPDATE ledger_outbox o JOIN ledger_entries e USING (entry_id) SET o.dispatched_at = NULL WHERE e.merchant_id = ?', [m.id]);
      await eventually(async () => {
        const [rows] = await ctx
          .mysql()
          .query<RowDataPacket[]>(
            'SELECT COUNT(*) AS n FROM ledger_outbox o JOIN ledger_entries e USING (entry_id) WHERE e.merchant_id = ? AND o.dispatched_at IS NULL',
            [m.id],
          );
        return Number(rows[0]!.n) === 0;
      }, 30_000);
      const again = await balance(m.token);
      expect(again).toMatchObject({ consolidatedCount: 50, entryCount: 50, credits: done.credits });
      await eventually(async () => heard.size === 50, 20_000);
    } finally {
      await reader.stop();
    }
  }, 90_000);

  it('Idempotency-Key: a retry returns the same entry (201, marked as a replay); the key with another body is 409', async () => {
    const m = await merchant();
    const body = { type: 'debit', amount: '10.00', currency: 'BRL', description: 'rent', occurredAt: day };
    const first = await post(m.token, body, { 'idempotency-key': 'rent-nov' });
    expect(first.status).toBe(201);
    const retry = await post(m.token, body, { 'idempotency-key': 'rent-nov' });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as { entryId: string }).entryId).toBe(((await first.json()) as { entryId: string }).entryId);
    expect((await post(m.token, { ...body, amount: '11.00' }, { 'idempotency-key': 'rent-nov' })).status).toBe(409);
    expect(await entriesOf(m.id)).toBe(1);
  });

  it('bad input: 400 naming the field and nothing written; too many requests 429; expired token 401', async () => {
    const m = await merchant();
    const ok = { type: 'credit', amount: '1.00', currency: 'BRL', description: 'x', occurredAt: day };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ok, amount: '-1.00' }, 'amount'],
      [{ ...ok, amount: '1.001' }, 'amount'],
      [{ ...ok, amount: 'ten' }, 'amount'],
      [{ ...ok, amount: 10 }, 'amount'],
      [{ ...ok, amount: '0.00' }, 'amount'],
      [{ ...ok, type: 'refund' }, 'type'],
      [{ ...ok, description: 'd'.repeat(201) }, 'description'],
      [{ ...ok, occurredAt: '2026-13-01' }, 'occurredAt'],
      [{ type: 'credit', amount: '1.00', currency: 'BRL', occurredAt: day }, 'description'],
    ];
    for (const [body, field] of cases) {
      const res = await post(m.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field, JSON.stringify(body)).toBe(field);
    }
    expect(await entriesOf(m.id)).toBe(0);

    const strict = testContext({ API_RATE_LIMIT_PER_USER: '2', TEMPORAL_ADDRESS: '127.0.0.1:1' });
    try {
      const app = createApiApp(strict);
      const fresh = await merchant(); // a user with no requests yet in this window
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await post(fresh.token, ok, {}, app)).status);
      expect(codes).toEqual([201, 201, 429]);
    } finally {
      await strict.lifecycle.close();
    }
    const expired = await signToken(ctx.config, m.id, { ttlSeconds: -60 });
    expect((await post(expired, ok)).status).toBe(401);
    // A reversed range is empty (each parameter is optional on its own, as documented); a bad date is 400.
    const reversed = await api.request('/ledger/balances/daily?from=2026-11-02&to=2026-11-01', { headers: { authorization: `Bearer ${m.token}` } });
    expect(reversed.status).toBe(200);
    expect(await reversed.json()).toMatchObject({ days: [] });
    const bad = await api.request('/ledger/balances/daily?from=yesterday', { headers: { authorization: `Bearer ${m.token}` } });
    expect(bad.status).toBe(400);
  });
});
