import type { PoolConnection } from 'mysql2/promise';

/** MySQL's deadlock error: InnoDB rolled this transaction back to let another finish. */
const ER_LOCK_DEADLOCK = 1213;
const DEADLOCK_RETRIES = 3;

/**
 * Runs `work` in a transaction on a pooled connection; rolls back on any error. A deadlock victim
 * is run again (InnoDB already rolled it back, so `work` starts from a clean slate), up to three
 * times: under concurrency a deadlock is an expected outcome, not a failure to show the client.
 */
export async function inTransaction<T>(
  pool: { getConnection(): Promise<PoolConnection> },
  work: (conn: PoolConnection) => Promise<T>,
  options: { isolation?: 'READ COMMITTED' | 'REPEATABLE READ' } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(pool, work, options);
    } catch (err) {
      if ((err as { errno?: number }).errno !== ER_LOCK_DEADLOCK || attempt >= DEADLOCK_RETRIES) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
    }
  }
}

async function once<T>(
  pool: { getConnection(): Promise<PoolConnection> },
  work: (conn: PoolConnection) => Promise<T>,
  { isolation }: { isolation?: 'READ COMMITTED' | 'REPEATABLE READ' },
): Promise<T> {
  const conn = await pool.getConnection();
  try {
    // Applies to the next transaction only.
    if (isolation) await conn.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`);
    await conn.beginTransaction();
    const result = await work(conn);
    await conn.commit();
    return result;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}
