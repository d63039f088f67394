import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../runtime/context';
import { testContext, uniqueId } from '../../test/support/context';
import { inTransaction } from './transaction';

// A real InnoDB deadlock: two transactions lock two rows in opposite orders. Without the retry one
// of them fails with 1213; with it both complete.
describe('inTransaction against MySQL', () => {
  let ctx: Context;
  const scope = uniqueId('deadlock');
  beforeAll(async () => {
    ctx = testContext();
    await ctx
      .mysql()
      .query("INSERT INTO idempotency_keys (scope, principal, idem_key, request_hash, resource_id) VALUES (?, 'p', 'x', 'h', '0'), (?, 'p', 'y', 'h', '0')", [
        scope,
        scope,
      ]);
  });
  afterAll(async () => {
    await ctx?.mysql().query('DELETE FROM idempotency_keys WHERE scope = ?', [scope]);
    await ctx?.lifecycle.close();
  });

  it('a deadlock victim is run again and both transactions commit', async () => {
    let arrived = 0;
    let release!: () => void;
    const bothLockedFirstRow = new Promise<void>((r) => (release = r));
    let attempts = 0;
    const lockInOrder = (first: string, second: string) =>
      inTransaction(ctx.mysql(), async (conn) => {
        attempts++;
        const lock = (key: string) =>
          conn.query<RowDataPacket[]>('SELECT * FROM idempotency_keys WHERE scope = ? AND principal = ? AND idem_key = ? FOR UPDATE', [scope, 'p', key]);
        await lock(first);
        // Only the first attempts meet at the barrier; the retry runs alone.
        if (++arrived === 2) release();
        if (arrived <= 2) await bothLockedFirstRow;
        await lock(second);
        await conn.query('UPDATE idempotency_keys SET resource_id = resource_id + 1 WHERE scope = ?', [scope]);
        return first;
      });
    await expect(Promise.all([lockInOrder('x', 'y'), lockInOrder('y', 'x')])).resolves.toEqual(['x', 'y']);
    expect(attempts).toBe(3);
    const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT resource_id FROM idempotency_keys WHERE scope = ?', [scope]);
    expect(rows.map((r) => String(r.resource_id))).toEqual(['2', '2']);
  });
});
