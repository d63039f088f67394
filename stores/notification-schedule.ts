// MySQL side of the notification timers: rows are inserted SCHEDULED with their shard, claimed by a
// bucket workflow when due (SENDING), and finished with conditional updates, so a duplicate, a
// cancel racing a fire, or a retried batch can never move a notification twice.
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Channel, NotificationRequest, Preferences } from '../domain/notification';
import type { NotificationStatus } from './notifications';

/** Statuses a notification can still leave by a cancel, a reschedule or its bucket firing. */
export const PENDING = ['SCHEDULED', 'DEFERRED'] as const;
const pendingSql = `status IN ('SCHEDULED', 'DEFERRED')`;
/** A SENDING row whose bucket died mid-batch is claimed again after this long. */
const STALE_CLAIM_SECONDS = 60;

export interface ScheduleRow {
  n: NotificationRequest;
  shard: number;
  source: 'api' | 'kafka';
  /** SKIPPED at schedule time (not eligible) or SCHEDULED. */
  status: 'SCHEDULED' | 'SKIPPED';
  reason: string | null;
  bucketId: string | null;
  /** The trace of the request that scheduled it. */
  traceparent?: string | null;
}

/** Inserts many notifications in one statement; returns the ids that were new (a repeat keeps the first). */
export async function insertScheduled(pool: Pool, rows: ScheduleRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const ids = rows.map((r) => r.n.notificationId);
  const [before] = await pool.query<RowDataPacket[]>('SELECT notification_id FROM notifications WHERE notification_id IN (?)', [ids]);
  const existing = new Set(before.map((r) => String(r.notification_id)));
  const fresh = rows.filter((r) => !existing.has(r.n.notificationId));
  if (fresh.length === 0) return new Set();
  const sql =
    'INSERT IGNORE INTO notifications (notification_id, user_id, channel, send_at, content, source, status, reason, shard, bucket_id, traceparent) VALUES ?';
  const values = ({ n, source, status, reason, shard, bucketId, traceparent }: ScheduleRow) => {
    const { notificationId, userId, channel, sendAt, ...content } = n;
    return [notificationId, userId, channel, new Date(sendAt), JSON.stringify(content), source, status, reason, shard, bucketId, traceparent ?? null];
  };
  // Which rows this call inserted is what `created` (the API's `duplicate: false`) reports, so it must
  // be exact when requests with the same id race past the SELECT above: exactly one of them inserts.
  // One statement for all rows, in a transaction: every row inserted (the usual case) commits; if
  // some were ignored (taken meanwhile by a racing request), it is rolled back and each row inserted
  // on its own, where the affected-row count says whose insert it was.
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const [all] = await conn.query<ResultSetHeader>(sql, [fresh.map(values)]);
    if (all.affectedRows === fresh.length) {
      await conn.commit();
      return new Set(fresh.map((r) => r.n.notificationId));
    }
    await conn.rollback();
    const created = new Set<string>();
    for (const row of fresh) {
      const [one] = await conn.query<ResultSetHeader>(sql, [[values(row)]]);
      if (one.affectedRows === 1) created.add(row.n.notificationId);
    }
    return created;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/** Preferences of many users in two queries (the bucket checks eligibility for a whole batch). */
export async function loadPreferencesOf(pool: Pool, userIds: string[]): Promise<Map<string, Omit<Preferences, 'mutedUntil'> & { mutedUntil: number | null }>> {
  const out = new Map<string, Omit<Preferences, 'mutedUntil'> & { mutedUntil: number | null }>();
  if (userIds.length === 0) return out;
  const [users] = await pool.query<RowDataPacket[]>('SELECT * FROM notification_users WHERE user_id IN (?)', [userIds]);
  const [optins] = await pool.query<RowDataPacket[]>('SELECT user_id, channel FROM notification_optins WHERE user_id IN (?)', [userIds]);
  for (const u of users) {
    out.set(String(u.user_id), {
      timezone: u.timezone as string,
      channels: [],
      quietHours: u.quiet_start && u.quiet_end ? { start: u.quiet_start as string, end: u.quiet_end as string } : null,
      mutedUntil: u.muted_until ? (u.muted_until as Date).getTime() : null,
    });
  }
  for (const o of optins) out.get(String(o.user_id))?.channels.push(o.channel as Channel);
  return out;
}

export interface ClaimedNotification {
  n: NotificationRequest;
  attempts: number;
}

/**
 * Claims up to `limit` rows of `shard` due at `now` for bucket `bucketId` (SENDING), plus rows this
 * bucket claimed in an attempt that died, plus rows of any bucket stale for a minute; returns them.
 */
export async function claimDue(pool: Pool, shard: number, now: number, limit: number, bucketId: string): Promise<ClaimedNotification[]> {
  await pool.query(
    `UPDATE notifications SET status = 'SENDING', claimed_by = ?, claimed_at = CURRENT_TIMESTAMP(3)
      WHERE shard = ? AND ((${pendingSql} AND send_at <= ?) OR (status = 'SENDING' AND claimed_at < CURRENT_TIMESTAMP(3) - INTERVAL ${STALE_CLAIM_SECONDS} SECOND))
      ORDER BY send_at LIMIT ?`,
    [bucketId, shard, new Date(now), limit],
  );
  const [rows] = await pool.query<RowDataPacket[]>("SELECT * FROM notifications WHERE claimed_by = ? AND status = 'SENDING' ORDER BY send_at LIMIT ?", [
    bucketId,
    limit * 2,
  ]);
  return rows.map((r) => ({
    n: {
      notificationId: String(r.notification_id),
      userId: String(r.user_id),
      channel: r.channel as Channel,
      sendAt: (r.send_at as Date).toISOString(),
      ...((typeof r.content === 'string' ? JSON.parse(r.content) : r.content) as object),
    } as NotificationRequest,
    attempts: Number(r.attempts),
  }));
}

/** Finishes claimed rows with one statement per outcome; only rows still claimed by this bucket move. */
export async function finishClaimed(
  pool: Pool,
  bucketId: string,
  ids: string[],
  status: Extract<NotificationStatus, 'SENT' | 'SKIPPED' | 'FAILED'>,
  reason: string | null = null,
): Promise<void> {
  if (ids.length === 0) return;
  await pool.query(
    `UPDATE notifications SET status = ?, reason = ?, claimed_by = NULL, fired_by = ?, updated_at = CURRENT_TIMESTAMP(3),
       sent_at = IF(? = 'SENT', CURRENT_TIMESTAMP(3), sent_at), attempts = attempts + IF(? = 'SKIPPED', 0, 1)
      WHERE notification_id IN (?) AND status = 'SENDING' AND claimed_by = ?`,
    [status, reason, bucketId, status, status, ids, bucketId],
  );
}

/** Hands a claimed row back to a later time (quiet hours, or a retry after a failed attempt). */
export async function releaseClaimed(
  pool: Pool,
  bucketId: string,
  id: string,
  to: { status: 'DEFERRED' | 'SCHEDULED'; sendAt: number; reason: string; nextBucketId: string; countAttempt: boolean },
): Promise<void> {
  await pool.query(
    `UPDATE notifications SET status = ?, send_at = ?, reason = ?, bucket_id = ?, claimed_by = NULL, updated_at = CURRENT_TIMESTAMP(3),
       attempts = attempts + ? WHERE notification_id = ? AND status = 'SENDING' AND claimed_by = ?`,
    [to.status, new Date(to.sendAt), to.reason, to.nextBucketId, to.countAttempt ? 1 : 0, id, bucketId],
  );
}

/** Cancels a pending notification of `userId`; false when it is not pending (or not theirs). */
export async function cancelPending(pool: Pool, id: string): Promise<boolean> {
  const [r] = await pool.query<ResultSetHeader>(
    `UPDATE notifications SET status = 'CANCELLED', reason = NULL, updated_at = CURRENT_TIMESTAMP(3) WHERE notification_id = ? AND ${pendingSql}`,
    [id],
  );
  return r.affectedRows === 1;
}

/** Moves a pending notification to a new send time and bucket; false when it is not pending. */
export async function reschedulePending(pool: Pool, id: string, sendAt: number, bucketId: string): Promise<boolean> {
  const [r] = await pool.query<ResultSetHeader>(
    `UPDATE notifications SET status = 'SCHEDULED', send_at = ?, bucket_id = ?, reason = NULL, updated_at = CURRENT_TIMESTAMP(3)
      WHERE notification_id = ? AND ${pendingSql}`,
    [new Date(sendAt), bucketId, id],
  );
  return r.affectedRows === 1;
}
