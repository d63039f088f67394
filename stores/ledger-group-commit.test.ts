import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext, uniqueId } from '../test/support/context';
import { metrics } from '../platform/metrics';
import { createGroupCommitter } from './ledger-group-commit';

// Group commit against the real MariaDB: many posts in flight become few statements, each post is
// answered only once durable with its outbox row, and one bad entry fails alone.
describe('ledger group commit', () => {
  const ctx = testContext();
  afterAll(() => ctx.lifecycle.close());
  const entry = (merchantId: string, cents: number) => ({
    entryId: randomUUID(),
    merchantId,
    type: 'credit' as const,
    amountCents: cents,
    currency: 'BRL',
    description: 'sale',
    occurredOn: '2026-11-20',
  });

  it('stores 300 concurrent posts, each with its outbox row, in far fewer statements', async () => {
    const merchant = uniqueId('gc');
    const pool = ctx.mysql();
    let statements = 0;
    const counting = new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop === 'query') return (...args: Parameters<typeof pool.query>) => (statements++, target.query(...args));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const poster = createGroupCommitter(counting, { maxBatch: 100, lanes: 2 });
    const posted = await Promise.all(Array.from({ length: 300 }, (_, i) => poster.post(entry(merchant, i + 1))));
    expect(new Set(posted.map((p) => p.entryId)).size).toBe(300);
    expect(statements).toBeLessThan(300 / 5);
    const [[row]] = await pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n, SUM(e.amount_cents) AS total, COUNT(o.entry_id) AS outbox FROM ledger_entries e LEFT JOIN ledger_outbox o USING (entry_id) WHERE e.merchant_id = ?',
      [merchant],
    );
    expect(Number(row!.n)).toBe(300);
    expect(Number(row!.total)).toBe((300 * 301) / 2);
    expect(Number(row!.outbox)).toBe(300);
  });

  it('with one lane, the posts that arrive during a commit go together in the next statement, as /metrics reports', async () => {
    const merchant = uniqueId('gc');
    const pool = ctx.mysql();
    const inserts: number[] = [];
    const counting = new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop === 'query') return (...args: Parameters<typeof pool.query>) => (inserts.push((args[1] as unknown[][][])[0]!.length), target.query(...args));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const histogram = async () => {
      const m = (await metrics.getSingleMetric('tidings_ledger_group_commit_entries')!.get()).values;
      const pick = (name: string) => m.filter((v) => (v as { metricName?: string }).metricName === name).reduce((a, v) => a + v.value, 0);
      return { count: pick('tidings_ledger_group_commit_entries_count'), sum: pick('tidings_ledger_group_commit_entries_sum') };
    };
    const before = await histogram();
    const poster = createGroupCommitter(counting);
    // The first post starts a commit at once; the next 20 arrive while it runs.
    const posted = await Promise.all(Array.from({ length: 21 }, (_, i) => poster.post(entry(merchant, i + 1))));
    expect(posted).toHaveLength(21);
    expect(inserts).toEqual([1, 20]);
    expect(await histogram()).toEqual({ count: before.count + 2, sum: before.sum + 21 });
  });

  it('one entry that cannot be stored fails alone; the rest of its batch is stored', async () => {
    const merchant = uniqueId('gc');
    const poster = createGroupCommitter(ctx.mysql(), { maxBatch: 50, lanes: 1 });
    const dup = entry(merchant, 5);
    await poster.post(dup);
    const results = await Promise.allSettled([poster.post(entry(merchant, 1)), poster.post({ ...dup }), poster.post(entry(merchant, 2))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [[row]] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM ledger_entries WHERE merchant_id = ?', [merchant]);
    expect(Number(row!.n)).toBe(3);
  });
});
