// MySQL access for the ledger: posting (entry + outbox row, one transaction), the relay's claim
// and exactly-once application to daily balances, and the reports.
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { fromCents } from '../domain/money';

export type EntryType = 'credit' | 'debit';

export interface LedgerEntry {
  entryId: string;
  merchantId: string;
  type: EntryType;
  amountCents: number;
  currency: string;
  description: string;
  occurredOn: string;
  createdAt: string;
}

/**
 * Inserts the entry; the `ledger_entries_outbox` trigger (migration 005) writes its outbox row in
 * the same transaction. Returns the entry as stored.
 */
export async function insertEntryWithOutbox(db: Pool | PoolConnection, e: Omit<LedgerEntry, 'createdAt'>): Promise<LedgerEntry> {
  const createdAt = new Date();
  await db.query(
    'INSERT INTO ledger_entries (entry_id, merchant_id, type, amount_cents, currency, description, occurred_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [e.entryId, e.merchantId, e.type, e.amountCents, e.currency, e.description, e.occurredOn, createdAt],
  );
  return { ...e, createdAt: createdAt.toISOString() };
}

const toEntry = (r: RowDataPacket): LedgerEntry => ({
  entryId: r.entry_id as string,
  merchantId: r.merchant_id as string,
  type: r.type as EntryType,
  amountCents: Number(r.amount_cents),
  currency: r.currency as string,
  description: r.description as string,
  occurredOn: r.occurred_on as string,
  createdAt: (r.created_at as Date).toISOString(),
});

/** An entry's columns as toEntry reads them; `t` qualifies them in a join (`e.`). */
const entryColumns = (t = '') =>
  `${t}entry_id, ${t}merchant_id, ${t}type, ${t}amount_cents, ${t}currency, ${t}description, DATE_FORMAT(${t}occurred_on, '%Y-%m-%d') AS occurred_on, ${t}created_at`;
const ENTRY_COLUMNS = entryColumns();

export async function getEntry(pool: Pool | PoolConnection, entryId: string): Promise<LedgerEntry | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE entry_id = ?`, [entryId]);
  return rows[0] ? toEntry(rows[0]) : undefined;
}

export async function listEntries(pool: Pool, merchantId: string, day: string, { limit, after }: { limit: number; after?: string }) {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE merchant_id = ? AND occurred_on = ? ${after ? 'AND entry_id > ?' : ''} ORDER BY entry_id LIMIT ?`,
    after ? [merchantId, day, after, limit + 1] : [merchantId, day, limit + 1],
  );
  const entries = rows.slice(0, limit).map(toEntry);
  return { entries, nextCursor: rows.length > limit ? entries[entries.length - 1]!.entryId : null };
}

export interface DayToSchedule {
  merchantId: string;
  day: string;
  timezone: string;
}

/**
 * In the caller's transaction (READ COMMITTED): claims up to `limit` undispatched outbox rows with
 * their entries and applies the entries not applied yet to their days' balances. The caller
 * publishes the entries, then marks the rows dispatched and applied (markDispatched) before its
 * commit.
 *
 * Exactly once: the batch first locks the relay's row in `ledger_relay_lock` (created on first
 * use), held to its commit. A second relay at the same time waits there, and its read, a fresh
 * snapshot under READ COMMITTED, then finds these rows dispatched. `applied_at` keeps a row an
 * operator re-dispatches (to publish it again) from counting twice. One lock per batch instead of
 * one per claimed row (`FOR UPDATE SKIP LOCKED`): the row locks were most of MariaDB's cost per
 * entry in the relay (docs/ledger-hot-path.md, "One lock per batch").
 */
export async function claimOutbox(conn: PoolConnection, limit: number): Promise<{ outboxIds: number[]; entries: LedgerEntry[]; applied: number }> {
  await conn.query("INSERT INTO ledger_relay_lock (name) VALUES ('ledger-outbox') ON DUPLICATE KEY UPDATE name = name");
  const [claimed] = await conn.query<RowDataPacket[]>(
    `SELECT o.id AS outbox_id, o.applied_at IS NOT NULL AS was_applied, ${entryColumns('e.')}
       FROM ledger_outbox o JOIN ledger_entries e ON e.entry_id = o.entry_id
      WHERE o.dispatched_at IS NULL ORDER BY o.id LIMIT ?`,
    [limit],
  );
  if (claimed.length === 0) return { outboxIds: [], entries: [], applied: 0 };
  const entries = claimed.map(toEntry);
  const fresh = entries.filter((_, i) => !Number(claimed[i]!.was_applied));
  await addToDailyBalances(conn, fresh);
  return { outboxIds: claimed.map((r) => r.outbox_id as number), entries, applied: fresh.length };
}

/** The claimed outbox rows went out, and their entries are applied (in the claim's transaction). */
export async function markDispatched(conn: PoolConnection, outboxIds: number[]): Promise<void> {
  if (outboxIds.length === 0) return;
  await conn.query('UPDATE ledger_outbox SET dispatched_at = CURRENT_TIMESTAMP(3), applied_at = COALESCE(applied_at, CURRENT_TIMESTAMP(3)) WHERE id IN (?)', [
    outboxIds,
  ]);
}

/** The days these entries touch whose close is not scheduled yet. */
export async function unscheduledDays(conn: PoolConnection, entryIds: string[]): Promise<DayToSchedule[]> {
  if (entryIds.length === 0) return [];
  const [days] = await conn.query<RowDataPacket[]>(
    `SELECT DISTINCT b.merchant_id, DATE_FORMAT(b.day, '%Y-%m-%d') AS day, COALESCE(m.timezone, 'UTC') AS timezone
       FROM daily_balances b LEFT JOIN merchants m USING (merchant_id)
       WHERE b.close_scheduled = 0 AND (b.merchant_id, b.day) IN (SELECT merchant_id, occurred_on FROM ledger_entries WHERE entry_id IN (?))`,
    [entryIds],
  );
  return days.map((d) => ({ merchantId: d.merchant_id as string, day: d.day as string, timezone: d.timezone as string }));
}

/** Sums the entries into one upsert per merchant, day and currency (atomic, so balances never lose an update). */
export async function addToDailyBalances(conn: PoolConnection, entries: LedgerEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const sums = new Map<string, [string, string, string, number, number, number]>();
  for (const e of entries) {
    const k = `${e.merchantId}|${e.occurredOn}|${e.currency}`;
    const row = sums.get(k) ?? [e.merchantId, e.occurredOn, e.currency, 0, 0, 0];
    if (e.type === 'credit') row[3] += e.amountCents;
    else row[4] += e.amountCents;
    row[5] += 1;
    sums.set(k, row);
  }
  await conn.query(
    `INSERT INTO daily_balances (merchant_id, day, currency, credits_cents, debits_cents, entry_count) VALUES ?
     ON DUPLICATE KEY UPDATE credits_cents = credits_cents + VALUES(credits_cents), debits_cents = debits_cents + VALUES(debits_cents),
       entry_count = entry_count + VALUES(entry_count), updated_at = CURRENT_TIMESTAMP(3)`,
    [[...sums.values()]],
  );
}

/**
 * Applied days whose close was never scheduled. Between two drains of the relay there are none,
 * unless a drain failed after committing a batch (Kafka down for a later batch, the worker killed):
 * its entries are dispatched, so no later batch finds their days, and the days it would have handed
 * back were lost with it. The next drain picks them up here (found by the soak, docs/reliability.md).
 */
export async function daysWithoutClose(pool: Pool, limit: number): Promise<{ merchantId: string; day: string; timezone: string }[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT DISTINCT b.merchant_id, DATE_FORMAT(b.day, '%Y-%m-%d') AS day, COALESCE(m.timezone, 'UTC') AS timezone
     FROM daily_balances b LEFT JOIN merchants m USING (merchant_id) WHERE b.close_scheduled = 0 LIMIT ?`,
    [limit],
  );
  return rows.map((d) => ({ merchantId: d.merchant_id as string, day: d.day as string, timezone: d.timezone as string }));
}

export async function markCloseScheduled(pool: Pool, d: { merchantId: string; day: string }): Promise<void> {
  await pool.query('UPDATE daily_balances SET close_scheduled = 1 WHERE merchant_id = ? AND day = ?', [d.merchantId, d.day]);
}

export async function closeDay(pool: Pool, merchantId: string, day: string): Promise<void> {
  await pool.query('UPDATE daily_balances SET closed_at = COALESCE(closed_at, CURRENT_TIMESTAMP(3)) WHERE merchant_id = ? AND day = ?', [merchantId, day]);
}

export interface DailyBalance {
  date: string;
  currency: string;
  openingCents: number;
  creditsCents: number;
  debitsCents: number;
  netCents: number;
  closingCents: number;
  entryCount: number;
  consolidatedCount: number;
  pendingEntries: number;
  consolidatedThrough: string | null;
  closed: boolean;
  closedAt: string | null;
}

/** A day's balance as the API and the live channel show it: amounts as decimal strings. */
export const balanceView = (d: DailyBalance) => ({
  ...d,
  opening: fromCents(d.openingCents),
  credits: fromCents(d.creditsCents),
  debits: fromCents(d.debitsCents),
  net: fromCents(d.netCents),
  closing: fromCents(d.closingCents),
});

const DAY_COLUMNS = `e.merchant_id, e.day, e.currency, e.posted, COALESCE(b.credits_cents, 0) AS credits, COALESCE(b.debits_cents, 0) AS debits,
            COALESCE(b.entry_count, 0) AS applied, b.closed_at, b.updated_at,
            (SELECT COALESCE(SUM(p.credits_cents - p.debits_cents), 0) FROM daily_balances p
              WHERE p.merchant_id = e.merchant_id AND p.currency = e.currency AND p.day < e.day) AS opening`;
const DAY_JOIN = 'LEFT JOIN daily_balances b ON b.merchant_id = e.merchant_id AND b.day = e.day AND b.currency = e.currency';

/** The consolidated report of each day in [from, to], per currency (days with entries only). */
export async function dailyBalances(pool: Pool, merchantId: string, from: string, to: string): Promise<DailyBalance[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${DAY_COLUMNS}
     FROM (SELECT merchant_id, occurred_on AS day, currency, COUNT(*) AS posted FROM ledger_entries
           WHERE merchant_id = ? AND occurred_on BETWEEN ? AND ? GROUP BY merchant_id, occurred_on, currency) e
     ${DAY_JOIN}
     ORDER BY e.day, e.currency`,
    [merchantId, from, to],
  );
  return rows.map(toDailyBalance);
}

/**
 * The same report for several (merchant, day) pairs in one query, keyed `merchant|day`: what the
 * relay pushes after each batch (one round trip per batch, not one per merchant touched).
 *
 * Entries posted are counted without reading the day's entries: every entry has exactly one outbox
 * row and is applied in the transaction that marks that row dispatched, so posted = applied (the
 * balance's entry_count) + entries whose row is still pending and not applied. Counting the day's
 * entries instead costs a scan that grows with the day, once per batch, on the server the posts
 * write to.
 */
export async function dailyBalancesOf(pool: Pool, days: { merchantId: string; day: string }[]): Promise<Map<string, DailyBalance[]>> {
  const result = new Map<string, DailyBalance[]>();
  if (days.length === 0) return result;
  const pairs = days.flatMap((d) => [d.merchantId, d.day]);
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${DAY_COLUMNS}
     FROM (SELECT merchant_id, day, currency, SUM(n) AS posted FROM (
             SELECT merchant_id, day, currency, entry_count AS n FROM daily_balances
              WHERE ${days.map(() => '(merchant_id = ? AND day = ?)').join(' OR ')}
             UNION ALL
             SELECT le.merchant_id, le.occurred_on, le.currency, 1 FROM ledger_outbox o
               JOIN ledger_entries le USING (entry_id)
              WHERE o.dispatched_at IS NULL AND o.applied_at IS NULL
                AND (${days.map(() => '(le.merchant_id = ? AND le.occurred_on = ?)').join(' OR ')})
           ) u GROUP BY merchant_id, day, currency) e
     ${DAY_JOIN}
     ORDER BY e.merchant_id, e.day, e.currency`,
    [...pairs, ...pairs],
  );
  for (const r of rows) {
    const balance = toDailyBalance(r);
    const key = `${r.merchant_id as string}|${balance.date}`;
    result.set(key, [...(result.get(key) ?? []), balance]);
  }
  return result;
}

function toDailyBalance(r: RowDataPacket): DailyBalance {
  const credits = Number(r.credits);
  const debits = Number(r.debits);
  const opening = Number(r.opening);
  const posted = Number(r.posted);
  const applied = Number(r.applied);
  return {
    date: (r.day as Date).toISOString().slice(0, 10),
    currency: r.currency as string,
    openingCents: opening,
    creditsCents: credits,
    debitsCents: debits,
    netCents: credits - debits,
    closingCents: opening + credits - debits,
    entryCount: posted,
    consolidatedCount: applied,
    pendingEntries: posted - applied,
    consolidatedThrough: r.updated_at ? (r.updated_at as Date).toISOString() : null,
    closed: r.closed_at !== null,
    closedAt: r.closed_at ? (r.closed_at as Date).toISOString() : null,
  };
}
