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
 * Inside the caller's transaction: records `key` → `resourceId`, or finds the resource an earlier
 * request with this key created. Returns that earlier id (the caller answers with it and writes
 * nothing), or undefined when this request is the first. Same key, other body → 409.
 */
export async function claimIdempotencyKey(conn: PoolConnection, claim: IdempotencyClaim): Promise<string | undefined> {
  const [inserted] = await conn.query<ResultSetHeader>(
    'INSERT IGNORE INTO idempotency_keys (scope, principal, idem_key, request_hash, resource_id) VALUES (?, ?, ?, ?, ?)',
    [claim.scope, claim.principal, claim.key, claim.hash, claim.resourceId],
  );
  if (inserted.affectedRows === 1) return undefined;
  // A plain read, not FOR UPDATE: the duplicate INSERT above already waited for the first request's
  // transaction and holds a shared lock on its row; asking for an exclusive lock as well is what made
  // 20 concurrent retries deadlock each other.
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT request_hash, resource_id FROM idempotency_keys WHERE scope = ? AND principal = ? AND idem_key = ?',
    [claim.scope, claim.principal, claim.key],
  );
  const row = rows[0];
  if (!row) throw new Error('idempotency key vanished between insert and read');
  if (row.request_hash !== claim.hash) {
    throw new AppError(409, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body', { field: 'Idempotency-Key' });
  }
  return String(row.resource_id);
}

/** Reads and checks the Idempotency-Key header: 1–128 visible ASCII characters. */
export function idempotencyKeyFrom(header: string | undefined, required: boolean): string | undefined {
  if (header === undefined || header === '') {
    if (required) throw new AppError(400, 'invalid_request', 'Idempotency-Key header is required', { field: 'Idempotency-Key' });
    return undefined;
  }
  if (!/^[\x21-\x7e]{1,128}$/.test(header)) {
    throw new AppError(400, 'invalid_request', 'Idempotency-Key must be 1-128 visible ASCII characters', { field: 'Idempotency-Key' });
  }
  return header;
}
