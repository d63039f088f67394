import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../runtime/context';
import { testContext, uniqueId } from '../../test/support/context';
import { inTransaction } from './transaction';

/** A connection that records what was asked of it; `fail` decides what each call throws. */
function fakePool(fail: (step: string, attempt: number) => unknown) {
  const log: string[] = [];
  let attempt = 0;
  const act = (step: string) => async () => {
    log.push(step);
    const err = fail(step, attempt);
    if (err) throw err;
  };
  const conn = {
    query: act('query'),
    beginTransaction: async () => {
      attempt++;
      await act('begin')();
    },
    commit: act('commit'),
    rollback: act('rollback'),
    release: () => log.push('release'),
    destroy: () => log.push('destroy'),
  } as unknown as PoolConnection;
  return { log, pool: { getConnection: () => Promise.resolve(conn) }, attempts: () => attempt };
}
const mysqlError = (errno: number) => Object.assign(new Error(`errno ${errno}`), { errno });

describe('inTransaction', () => {
  it('runs a deadlock victim (1213) and a lock wait timeout (1205) again, rolled back first', async () => {
    for (const errno of [1213, 1205]) {
      const { log, pool, attempts } = fakePool((step, n) => (step === 'commit' && n < 3 ? mysqlError(errno) : undefined));
      await expect(inTransaction(pool, async () => 'done')).resolves.toBe('done');
      expect(attempts()).toBe(3);
      expect(log.filter((s) => s === 'rollback')).toHaveLength(2);
      expect(log.filter((s) => s === 'release')).toHaveLength(3);
    }
  });

  it('gives up after five attempts and throws the lock error itself', async () => {
    const { pool, attempts } = fakePool((step) => (step === 'commit' ? mysqlError(1213) : undefined));
    await expect(inTransaction(pool, async () => 'never')).rejects.toMatchObject({ errno: 1213 });
    expect(attempts()).toBe(5);
  });

  it('does not retry other errors', async () => {
    const { pool, attempts } = fakePool((step) => (step === 'commit' ? mysqlError(1062) : undefined));
    await expect(inTransaction(pool, async () => 'never')).rejects.toMatchObject({ errno: 1062 });
    expect(attempts()).toBe(1);
  });

  it('throws the original error when the rollback fails too, and destroys that connection instead of pooling it', async () => {
    const { log, pool } = fakePool((step) => (step === 'rollback' ? new Error('connection lost') : undefined));
    await expect(
      inTransaction(pool, async () => {
        throw new Error('the real problem');
      }),
    ).rejects.toThrow('the real problem');
    expect(log).toContain('destroy');
    expect(log).not.toContain('release');
  });
});

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
