import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest random. Rows
 * keyed by it are inserted at the end of their B-tree instead of at a random page, and sort in the
 * order they were made. Built from a v4 (the process's cached random pool): its random bits are kept,
 * the first 12 hex digits become the time and the version digit becomes 7. Ids made in the same
 * millisecond are in random order among themselves.
 */
export function timeOrderedUuid(nowMs = Date.now()): string {
  const random = randomUUID();
  const time = nowMs.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
