// MySQL access for the event fan-out journey: the accepted events, their trail, and the two
// consumers' own stores. Shared by the API, the activities and the consumers.
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../platform/db/transaction';
import { currentTraceparent, traceIdOf } from '../platform/trace-context';

export type EventStatus = 'ACCEPTED' | 'COMPLETED' | 'INCOMPLETE';
/** The two consumers, each storing every event once in its own table. */
export type Sink = 'b' | 'c';

/** The trail's steps, in the order an event passes them. */
export const TRAIL_STEPS = ['accepted', 'published_sns', 'published_kafka', 'stored_b', 'stored_c'] as const;
export type TrailStep = (typeof TRAIL_STEPS)[number];

/** An accepted event's columns (contracts/events' EventEnvelope fits it; stores import no contract). */
export interface EventRow {
  eventId: string;
  type: string;
  payload: unknown;
  userId: string;
  acceptedAt: string;
}

export interface EventTrail {
  eventId: string;
  type: string;
  payload: unknown;
  userId: string;
  status: EventStatus;
  acceptedAt: string;
  finishedAt: string | null;
  steps: { step: TrailStep; at: string; latencyMs: number; detail: string | null }[];
  pending: TrailStep[];
  complete: boolean;
  /** The trace of the request that accepted it (null when untraced). */
  traceId: string | null;
}

/** Records an accepted event with its trail's first step, and the request's trace (default: the active span's). */
export async function insertAcceptedEvent(conn: PoolConnection, e: EventRow, traceparent: string | null = currentTraceparent()): Promise<void> {
  await conn.query('INSERT INTO events (event_id, type, payload, user_id, status, accepted_at, traceparent) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    e.eventId,
    e.type,
    JSON.stringify(e.payload),
    e.userId,
    'ACCEPTED',
    new Date(e.acceptedAt),
    traceparent,
  ]);
  await conn.query('INSERT INTO event_trail (event_id, step, at) VALUES (?, ?, ?)', [e.eventId, 'accepted', new Date(e.acceptedAt)]);
}

/** Records a step once (a retried activity or a redelivery keeps the first time). True if new. */
export async function recordTrailStep(db: Pool | PoolConnection, eventId: string, step: TrailStep, detail?: string): Promise<boolean> {
  const [r] = await db.query<ResultSetHeader>('INSERT IGNORE INTO event_trail (event_id, step, at, detail) VALUES (?, ?, CURRENT_TIMESTAMP(3), ?)', [
    eventId,
    step,
    detail ?? null,
  ]);
  return r.affectedRows === 1;
}

/**
 * Stores an event in one consumer's table, once: a second delivery only counts itself. The trail
 * step is written in the same transaction, so "stored" in the trail means stored. True if new.
 */
export async function storeInSink(pool: Pool, sink: Sink, e: EventRow, source: 'sqs' | 'kafka'): Promise<boolean> {
  return inTransaction(pool, async (conn) => {
    const [r] = await conn.query<ResultSetHeader>(
      `INSERT INTO event_store_${sink} (event_id, type, payload, source, stored_at) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP(3))
       ON DUPLICATE KEY UPDATE deliveries = deliveries + 1`,
      [e.eventId, e.type, JSON.stringify(e.payload), source],
    );
    const first = r.affectedRows === 1;
    if (first) await recordTrailStep(conn, e.eventId, `stored_${sink}`, `via ${source}`);
    return first;
  });
}

/** How an event's run ends it. */
export type EventVerdict = Extract<EventStatus, 'COMPLETED' | 'INCOMPLETE'>;

/**
 * Ends an event with the run's verdict, except that INCOMPLETE gives way to what the store shows:
 * both consumers' "stored" steps (written in their store's transaction) make it COMPLETED even if
 * their confirmations reached the run after its deadline (a swamped worker, seen in the soak).
 * Returns the status written.
 */
export async function finishEvent(pool: Pool, eventId: string, status: EventVerdict): Promise<EventVerdict> {
  await pool.query(
    `UPDATE events SET finished_at = CURRENT_TIMESTAMP(3),
       status = IF(? = 'INCOMPLETE' AND (SELECT COUNT(*) FROM event_trail WHERE event_id = ? AND step IN ('stored_b', 'stored_c')) = 2, 'COMPLETED', ?)
     WHERE event_id = ?`,
    [status, eventId, status, eventId],
  );
  const [rows] = await pool.query<RowDataPacket[]>('SELECT status FROM events WHERE event_id = ?', [eventId]);
  return (rows[0]?.status as EventVerdict | undefined) ?? status;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The event and where it went; undefined when it does not exist (or belongs to another user). */
export async function getEventTrail(pool: Pool, eventId: string, userId?: string): Promise<EventTrail | undefined> {
  const [events] = await pool.query<RowDataPacket[]>('SELECT * FROM events WHERE event_id = ?', [eventId]);
  const e = events[0];
  if (!e || (userId !== undefined && e.user_id !== userId)) return undefined;
  const [trail] = await pool.query<RowDataPacket[]>('SELECT step, at, detail FROM event_trail WHERE event_id = ?', [eventId]);
  const accepted = (e.accepted_at as Date).getTime();
  const byStep = new Map(trail.map((t) => [t.step as TrailStep, t]));
  const steps = TRAIL_STEPS.flatMap((step) => {
    const t = byStep.get(step);
    return t ? [{ step, at: (t.at as Date).toISOString(), latencyMs: (t.at as Date).getTime() - accepted, detail: (t.detail as string | null) ?? null }] : [];
  });
  const pending = TRAIL_STEPS.filter((s) => !byStep.has(s));
  return {
    eventId,
    type: e.type as string,
    payload: typeof e.payload === 'string' ? (JSON.parse(e.payload) as unknown) : (e.payload as unknown),
    userId: e.user_id as string,
    status: e.status as EventStatus,
    acceptedAt: (e.accepted_at as Date).toISOString(),
    finishedAt: iso(e.finished_at as Date | null),
    steps,
    pending,
    complete: pending.length === 0,
    traceId: traceIdOf(e.traceparent as string | null),
  };
}

export async function listEvents(pool: Pool, userId: string, { type, limit }: { type?: string; limit: number }) {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT event_id, type, status, accepted_at, finished_at, traceparent FROM events WHERE user_id = ? ${type ? 'AND type = ?' : ''}
     ORDER BY accepted_at DESC LIMIT ?`,
    type ? [userId, type, limit] : [userId, limit],
  );
  return rows.map((r) => ({
    eventId: r.event_id as string,
    type: r.type as string,
    status: r.status as EventStatus,
    acceptedAt: (r.accepted_at as Date).toISOString(),
    finishedAt: iso(r.finished_at as Date | null),
    traceId: traceIdOf(r.traceparent as string | null),
  }));
}

/** How many times a consumer's store holds the event (0 or 1) and how often it was delivered. */
export async function sinkRow(pool: Pool, sink: Sink, eventId: string): Promise<{ rows: number; deliveries: number }> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT deliveries FROM event_store_${sink} WHERE event_id = ?`, [eventId]);
  return { rows: rows.length, deliveries: rows.reduce((n, r) => n + Number(r.deliveries), 0) };
}
