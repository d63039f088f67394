import { createHash } from 'node:crypto';
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { AppError } from '../errors';

/** A stable hash of a request body (keys sorted), to tell a retry from a reused key. */
export function requestHash(body: unknown): string {
  const canonical = JSON.stringify(body, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
  return createHash('sha256').update(canonical).digest('hex');
}

export interface IdempotencyClaim {
  scope: string;
  principal: string;
  key: string;
  hash: string;
  resourceId: string;
}

/**
 * Inside the caller's transaction, as its first statement: records `key` → `resourceId`, or finds
 * the resource an earlier request with this key created. Returns that earlier id (the caller
 * answers with it and writes nothing), or undefined when this request is the first. Same key, other
 * body → 409 `idempotency_key_reused`.
 *
 * Concurrency: the claim and the resource commit together, so there is no "in progress" state to
 * report. A concurrent duplicate's INSERT IGNORE waits on the first request's row lock until that
 * transaction ends, then sees the committed row. No FOR UPDATE: 20 retries each asking for an
 * exclusive lock on the row they already share is what deadlocked them. If the first transaction
 * rolls back instead, the waiters race to insert and InnoDB may pick deadlock victims; inTransaction
 * runs those again (the caller's transaction must be run with it).
 */
export async function claimIdempotencyKey(conn: PoolConnection, claim: IdempotencyClaim): Promise<string | undefined> {
  const [inserted] = await conn.query<ResultSetHeader>(
    'INSERT IGNORE INTO idempotency_keys (scope, principal, idem_key, request_hash, resource_id) VALUES (?, ?, ?, ?, ?)',
    [claim.scope, claim.principal, claim.key, claim.hash, claim.resourceId],
  );
  if (inserted.affectedRows === 1) return undefined;
  // A shared-lock read: the lock the duplicate check above already holds, so it waits for nothing
  // and deadlocks with nobody, yet it reads the latest committed row even if this transaction's
  // snapshot is older (a plain SELECT under REPEATABLE READ might not see the winner's row).
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT request_hash, resource_id FROM idempotency_keys WHERE scope = ? AND principal = ? AND idem_key = ? LOCK IN SHARE MODE',
    [claim.scope, claim.principal, claim.key],
  );
  const row = rows[0];
  if (!row) throw new Error(`idempotency key ${claim.scope}/${claim.key} ignored as a duplicate but not found`);
  if (row.request_hash !== claim.hash) {
    throw new AppError(
      409,
      'idempotency_key_reused',
      'this Idempotency-Key was already used with a different request body; send the same body to retry that request, or a new key for a new one',
      { field: 'Idempotency-Key' },
    );
  }
  return String(row.resource_id);
}

/** What an Idempotency-Key must be, on every route that takes one (and in the OpenAPI document). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * Reads and checks the Idempotency-Key header: 1–128 visible ASCII characters. Only an absent header
 * means "no key": a header sent empty (or otherwise outside the pattern) is refused, never taken as
 * "no key", so a client whose key went missing hears about it instead of losing its idempotency.
 */
export function idempotencyKeyFrom(header: string | undefined, required: boolean): string | undefined {
  if (header === undefined) {
    if (required) throw new AppError(400, 'invalid_request', 'Idempotency-Key header is required', { field: 'Idempotency-Key' });
    return undefined;
  }
  if (header === '' && required) throw new AppError(400, 'invalid_request', 'Idempotency-Key header is required', { field: 'Idempotency-Key' });
  if (!IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw new AppError(400, 'invalid_request', 'Idempotency-Key must be 1-128 visible ASCII characters', { field: 'Idempotency-Key' });
  }
  return header;
}
