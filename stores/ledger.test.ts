import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ownEnvironment, testContext, uniqueId } from '../test/support/context';
import type { RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../platform/db/transaction';
import { addToDailyBalances, claimOutbox, dailyBalances, dailyBalancesOf, insertEntryWithOutbox, markDispatched, type LedgerEntry } from './ledger';

// The relay pushes the balances of every (merchant, day) a batch touched from one query: it must
// say what the per-merchant report says, pair by pair.
describe('ledger daily balances of several merchants and days', () => {
  const ctx = testContext();
  afterAll(() => ctx.lifecycle.close());

  it('answers each (merchant, day) pair as dailyBalances does, in one query', async () => {
    const pairs = [uniqueId('m'), uniqueId('m')].flatMap((merchantId) => ['2026-11-19', '2026-11-20'].map((day) => ({ merchantId, day })));
    for (const [i, p] of pairs.entries())
      for (const currency of ['BRL', 'USD'].slice(0, 1 + (i % 2)))
        await insertEntryWithOutbox(ctx.mysql(), {
          entryId: randomUUID(),
          merchantId: p.merchantId,
          type: 'credit',
          amountCents: 100 * (i + 1),
          currency,
          description: 'report',
          occurredOn: p.day,
        });
    let queries = 0;
    const pool = ctx.mysql();
    const counting = new Proxy(pool, {
      get: (target, prop, receiver) =>
        prop === 'query' ? (...args: Parameters<typeof pool.query>) => (queries++, target.query(...args)) : (Reflect.get(target, prop, receiver) as unknown),
    });
    const all = await dailyBalancesOf(counting, pairs);
    expect(queries).toBe(1);
    for (const p of pairs) {
      const one = await dailyBalances(pool, p.merchantId, p.day, p.day);
      expect(one.length).toBeGreaterThan(0);
      expect(all.get(`${p.merchantId}|${p.day}`)).toEqual(one);
    }
  });

  it('counts entries posted as the report does, whether applied, pending, or re-dispatched after being applied', async () => {
    const merchantId = uniqueId('m');
    const day = '2026-11-21';
    const pool = ctx.mysql();
    const post = async (currency: string, cents: number) => {
      const entry = { entryId: randomUUID(), merchantId, type: 'credit' as const, amountCents: cents, currency, description: 'mix', occurredOn: day };
      await insertEntryWithOutbox(pool, entry);
      return entry;
    };
    // What the relay does to a batch, for these entries only (a relay batch would claim other
    // tests' rows too): apply them and mark their outbox rows dispatched and applied, in one transaction.
    const apply = (entries: Omit<LedgerEntry, 'createdAt'>[]) =>
      inTransaction(pool, async (conn) => {
        await addToDailyBalances(conn, entries as LedgerEntry[]);
        const [rows] = await conn.query<RowDataPacket[]>('SELECT id FROM ledger_outbox WHERE entry_id IN (?) FOR UPDATE', [entries.map((e) => e.entryId)]);
        await markDispatched(
          conn,
          rows.map((r) => r.id as number),
        );
      });
    const same = async () => {
      const report = await dailyBalances(pool, merchantId, day, day);
      expect((await dailyBalancesOf(pool, [{ merchantId, day }])).get(`${merchantId}|${day}`)).toEqual(report);
      return report.map((b) => [b.currency, b.entryCount, b.consolidatedCount]);
    };

    const applied = [await post('BRL', 100), await post('BRL', 200)];
    await apply(applied);
    await post('BRL', 300); // pending, same currency
    await post('USD', 400); // pending, a currency with nothing applied yet
    expect(await same()).toEqual([
      ['BRL', 3, 2],
      ['USD', 1, 0],
    ]);
    // An operator re-dispatches entries already applied: still counted once.
    await pool.query('UPDATE ledger_outbox SET dispatched_at = NULL WHERE entry_id IN (?)', [applied.map((e) => e.entryId)]);
    expect(await same()).toEqual([
      ['BRL', 3, 2],
      ['USD', 1, 0],
    ]);
    const [pending] = await pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM ledger_outbox o JOIN ledger_entries e USING (entry_id) WHERE e.merchant_id = ? AND o.dispatched_at IS NULL',
      [merchantId],
    );
    expect(Number(pending[0]!.n)).toBe(4);
  });
});

// Two relay batches at once (an activity retried while its first attempt still runs): the second
// waits on the relay's lock row until the first commits, then takes only what is left.
describe('ledger outbox claimed by two relays at once', () => {
  // Its own database: a claim takes every pending row, other files' entries included.
  const own = ownEnvironment();
  const ctx = testContext({ TIDINGS_ENV: own.env });
  afterAll(async () => {
    await ctx.lifecycle.close();
    own.teardown();
  }, 60_000);

  it('applies each entry once: the second batch waits for the first to commit and takes the rest', async () => {
    const pool = ctx.mysql();
    const merchantId = uniqueId('m');
    const day = '2026-11-22';
    for (let cents = 1; cents <= 30; cents++)
      await insertEntryWithOutbox(pool, {
        entryId: randomUUID(),
        merchantId,
        type: 'credit',
        amountCents: cents,
        currency: 'BRL',
        description: 'race',
        occurredOn: day,
      });
    const batch = (limit: number, hold?: Promise<void>, claimed?: () => void) =>
      inTransaction(
        pool,
        async (conn) => {
          const claim = await claimOutbox(conn, limit);
          claimed?.();
          await hold;
          await markDispatched(conn, claim.outboxIds);
          return claim;
        },
        { isolation: 'READ COMMITTED' },
      );
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstClaimed!: () => void;
    const claimedFirst = new Promise<void>((r) => (firstClaimed = r));
    const first = batch(20, held, firstClaimed);
    await claimedFirst;
    let secondDone = false;
    const second = batch(100).finally(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(secondDone).toBe(false); // waiting on the lock row, not reading the rows the first holds
    release();
    const [a, b] = await Promise.all([first, second]);
    expect([a.applied, b.applied]).toEqual([20, 10]);
    const ids = [...a.entries, ...b.entries].map((e) => e.entryId);
    expect(new Set(ids).size).toBe(30);
    const [rows] = await pool.query<RowDataPacket[]>('SELECT credits_cents, entry_count FROM daily_balances WHERE merchant_id = ? AND day = ?', [
      merchantId,
      day,
    ]);
    expect(rows.map((r) => [Number(r.credits_cents), Number(r.entry_count)])).toEqual([[(30 * 31) / 2, 30]]);
  });
});
