import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext, uniqueId } from '../test/support/context';
import { dailyBalances, dailyBalancesOf, insertEntryWithOutbox } from './ledger';

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
});
