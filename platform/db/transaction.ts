import type { PoolConnection } from 'mysql2/promise';

/** Runs `work` in a transaction on a pooled connection; rolls back on any error. */
export async function inTransaction<T>(
  pool: { getConnection(): Promise<PoolConnection> },
  work: (conn: PoolConnection) => Promise<T>,
  { isolation }: { isolation?: 'READ COMMITTED' | 'REPEATABLE READ' } = {},
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
