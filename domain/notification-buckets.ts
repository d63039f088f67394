// Where a scheduled notification fires: pure arithmetic shared by the API, the consumer and the
// bucket workflow's activities. Notifications are spread over shards by id; each shard has one
// bucket workflow per time slice that holds anything due, so the cost in Temporal is per slice,
// not per notification.

/** FNV-1a of the id, so a notification always lands on the same shard. */
export function shardOf(notificationId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < notificationId.length; i++) {
    h ^= notificationId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * When the bucket holding a notification due at `sendAt` fires: the end of its slice (never early),
 * and at least `marginMs` from now, so the bucket's claim query runs after the row is committed.
 * Everything due by then, overdue rows included, is fired by it.
 */
export function bucketFireAt(sendAt: number, now: number, widthMs: number, marginMs: number): number {
  const due = Math.max(sendAt, now + marginMs);
  return Math.ceil(due / widthMs) * widthMs;
}

/** One bucket workflow per environment, shard and fire time (starting it twice is a no-op). */
export const bucketWorkflowId = (env: string, shard: number, fireAt: number): string => `${env}.notify-bucket-${shard}-${new Date(fireAt).toISOString()}`;

/** Delay before delivery attempt `attempt` (1-based) is retried: 1 s, 2 s, 4 s … at most 60 s. */
export const retryDelayMs = (attempt: number): number => Math.min(60_000, 1_000 * 2 ** Math.max(0, attempt - 1));
