// MySQL access for scheduled notifications: preferences, and each notification's status.
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../platform/db/transaction';
import { traceIdOf } from '../platform/trace-context';
import type { Channel, NotificationRequest, Preferences } from '../domain/notification';

export const NOTIFICATION_STATUSES = ['SCHEDULED', 'DEFERRED', 'SKIPPED', 'CANCELLED', 'SENT', 'FAILED', 'SENDING'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface NotificationView extends NotificationRequest {
  status: NotificationStatus;
  reason: string | null;
  source: string;
  createdAt: string;
  sentAt: string | null;
  /**
   * The bucket workflow that fired it, or the one that will (null: skipped when scheduled, or a
   * notification of the per-notification design this release no longer runs).
   */
  bucketWorkflowId: string | null;
  /** The trace of the request (or Kafka record) that scheduled it (null when untraced). */
  traceId: string | null;
}

/** Records a new notification (SCHEDULED); false if the id exists (the first one stands). */
export async function insertNotification(pool: Pool, n: NotificationRequest, source: 'api' | 'kafka'): Promise<boolean> {
  const { notificationId, userId, channel, sendAt, ...content } = n;
  const [r] = await pool.query<ResultSetHeader>(
    "INSERT IGNORE INTO notifications (notification_id, user_id, channel, send_at, content, source, status) VALUES (?, ?, ?, ?, ?, ?, 'SCHEDULED')",
    [notificationId, userId, channel, new Date(sendAt), JSON.stringify(content), source],
  );
  return r.affectedRows === 1;
}

const toView = (r: RowDataPacket): NotificationView => ({
  notificationId: r.notification_id as string,
  userId: r.user_id as string,
  channel: r.channel as Channel,
  sendAt: (r.send_at as Date).toISOString(),
  ...((typeof r.content === 'string' ? JSON.parse(r.content) : r.content) as object),
  status: r.status as NotificationStatus,
  reason: (r.reason as string | null) ?? null,
  source: r.source as string,
  createdAt: (r.created_at as Date).toISOString(),
  sentAt: r.sent_at ? (r.sent_at as Date).toISOString() : null,
  bucketWorkflowId: ((r.fired_by ?? r.bucket_id) as string | null) ?? null,
  traceId: traceIdOf(r.traceparent as string | null),
});

/** Who owns each of these notification ids that exists already. */
export async function ownersOf(pool: Pool, ids: string[]): Promise<{ notificationId: string; userId: string }[]> {
  if (ids.length === 0) return [];
  const [rows] = await pool.query<RowDataPacket[]>('SELECT notification_id, user_id FROM notifications WHERE notification_id IN (?)', [ids]);
  return rows.map((r) => ({ notificationId: String(r.notification_id), userId: String(r.user_id) }));
}

export async function getNotification(pool: Pool, id: string): Promise<NotificationView | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM notifications WHERE notification_id = ?', [id]);
  return rows[0] ? toView(rows[0]) : undefined;
}

/** Where a page of a list ends: the last row's send time and id (rows are newest first). */
export interface NotificationCursor {
  sendAt: number;
  notificationId: string;
}

/**
 * A user's notifications, latest send time first, `limit` at a time: `after` continues from the
 * previous page's `nextCursor` (null on the last page). Stable while rows are added or change.
 */
export async function listNotifications(
  pool: Pool,
  q: { userId: string; status?: NotificationStatus; limit: number; after?: NotificationCursor },
): Promise<{ notifications: NotificationView[]; nextCursor: NotificationCursor | null }> {
  const where = ['user_id = ?'];
  const params: unknown[] = [q.userId];
  if (q.status) {
    where.push('status = ?');
    params.push(q.status);
  }
  if (q.after) {
    where.push('(send_at < ? OR (send_at = ? AND notification_id < ?))');
    params.push(new Date(q.after.sendAt), new Date(q.after.sendAt), q.after.notificationId);
  }
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT * FROM notifications WHERE ${where.join(' AND ')} ORDER BY send_at DESC, notification_id DESC LIMIT ?`,
    [...params, q.limit + 1],
  );
  const notifications = rows.slice(0, q.limit).map(toView);
  const last = notifications.at(-1);
  return { notifications, nextCursor: rows.length > q.limit && last ? { sendAt: Date.parse(last.sendAt), notificationId: last.notificationId } : null };
}

export async function savePreferences(pool: Pool, userId: string, p: Preferences): Promise<void> {
  await inTransaction(pool, async (conn) => {
    await conn.query(
      `INSERT INTO notification_users (user_id, timezone, quiet_start, quiet_end, muted_until) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE timezone = VALUES(timezone), quiet_start = VALUES(quiet_start), quiet_end = VALUES(quiet_end),
         muted_until = VALUES(muted_until), updated_at = CURRENT_TIMESTAMP(3)`,
      [userId, p.timezone, p.quietHours?.start ?? null, p.quietHours?.end ?? null, p.mutedUntil ? new Date(p.mutedUntil) : null],
    );
    await conn.query('DELETE FROM notification_optins WHERE user_id = ?', [userId]);
    if (p.channels.length) await conn.query('INSERT INTO notification_optins (user_id, channel) VALUES ?', [p.channels.map((c) => [userId, c])]);
  });
}

export async function loadPreferences(pool: Pool, userId: string) {
  const [users] = await pool.query<RowDataPacket[]>('SELECT * FROM notification_users WHERE user_id = ?', [userId]);
  const u = users[0];
  if (!u) return undefined;
  const [optins] = await pool.query<RowDataPacket[]>('SELECT channel FROM notification_optins WHERE user_id = ?', [userId]);
  return {
    timezone: u.timezone as string,
    channels: optins.map((o) => o.channel as Channel),
    quietHours: u.quiet_start && u.quiet_end ? { start: u.quiet_start as string, end: u.quiet_end as string } : null,
    mutedUntil: u.muted_until ? (u.muted_until as Date).getTime() : null,
  };
}
