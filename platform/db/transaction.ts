import type { PoolConnection } from 'mysql2/promise';

/** InnoDB rolled this transaction back to let another finish. */
const ER_LOCK_DEADLOCK = 1213;
/** A lock was not granted within innodb_lock_wait_timeout (only the statement was rolled back). */
const ER_LOCK_WAIT_TIMEOUT = 1205;
const RETRYABLE = new Set([ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT]);
/** Attempts in all: a burst of same-key requests can make several victims in a row. */
const ATTEMPTS = 5;

/** Is this a lock conflict that running the whole transaction again resolves? */
export const isRetryableLockError = (err: unknown): boolean => RETRYABLE.has((err as { errno?: number } | undefined)?.errno ?? 0);

/**
 * Runs `work` in a transaction on a pooled connection; rolls back on any error. A deadlock victim or
 * a lock wait timeout is run again from the start (the transaction is rolled back first, so `work`
 * starts from a clean slate), up to five attempts with a growing, jittered pause: under
 * concurrency these are expected outcomes, not failures to show the client. `work` must therefore
 * be safe to run again (it only talks to the database through `conn`).
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
      if (!isRetryableLockError(err) || attempt >= ATTEMPTS) throw err;
      // Jitter so the victims of one deadlock do not collide again on the same schedule.
      await new Promise((r) => setTimeout(r, 5 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

async function once<T>(
  pool: { getConnection(): Promise<PoolConnection> },
  work: (conn: PoolConnection) => Promise<T>,
  { isolation }: { isolation?: 'READ COMMITTED' | 'REPEATABLE READ' },
): Promise<T> {
  const conn = await pool.getConnection();
  let broken = false;
  try {
    // Applies to the next transaction only.
    if (isolation) await conn.query(`SET TRANSACTION ISOLATION LEVEL ${isolation}`);
    await conn.beginTransaction();
    const result = await work(conn);
    await conn.commit();
    return result;
  } catch (err) {
    // The caller needs the original error, not the rollback's. A connection that cannot even roll
    // back is broken (or mid-transaction): destroyed below, never handed to the next caller.
    try {
      await conn.rollback();
    } catch {
      broken = true;
    }
    throw err;
  } finally {
    if (broken) conn.destroy();
    else conn.release();
  }
}
