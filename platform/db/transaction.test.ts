import type { PoolConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { inTransaction } from './transaction';

// The retry rules with a fake connection (unit); the real deadlock is in transaction-mysql.test.ts.

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
