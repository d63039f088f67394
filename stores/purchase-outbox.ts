// The purchase outbox: a purchase is accepted by one transaction (the row, its RECEIVED stamp and
// an outbox row that says "start its run"), so accepting never depends on Temporal being up. The
// row goes once the purchase's workflow has been started (by the API right after the commit, or by
// the relay workflow); a start is idempotent by workflow id, so two starters are harmless.
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Quote } from '../domain/purchase-quote';
import { currentTraceparent } from '../platform/trace-context';
import { quoteOf } from './purchases';

/** A purchase whose run has to be started. */
export interface AcceptedPurchase {
  purchaseId: string;
  userId: string;
  quote: Quote;
  /** The request's trace: the run's spans join it. */
  traceparent: string | null;
}

/**
 * Accepts a purchase in the caller's transaction: the row, its RECEIVED stamp and its outbox row.
 * Both rows keep the request's trace (`traceparent`, default: the active span's).
 */
export async function insertAcceptedPurchase(
  conn: PoolConnection,
  p: { purchaseId: string; userId: string; quote: Quote; at: Date },
  traceparent: string | null = currentTraceparent(),
): Promise<void> {
  const q = p.quote;
  await conn.query(
    `INSERT INTO purchases (purchase_id, user_id, product_id, quantity, installments, amount_cents, total_cents, installment_cents, status, created_at, updated_at, traceparent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?, ?, ?)`,
    [p.purchaseId, p.userId, q.productId, q.quantity, q.installments, q.amountCents, q.totalCents, q.installmentCents, p.at, p.at, traceparent],
  );
  await conn.query("INSERT INTO purchase_timeline (purchase_id, status, at) VALUES (?, 'RECEIVED', ?)", [p.purchaseId, p.at]);
  await conn.query("INSERT INTO purchase_outbox (purchase_id, kind, traceparent) VALUES (?, 'PurchaseRequested', ?)", [p.purchaseId, traceparent]);
}

/** Purchases still in the outbox: these ids, or the oldest accepted before `olderThan`. */
export async function acceptedNotStarted(pool: Pool, which: { purchaseIds: string[] } | { olderThan: number; limit: number }): Promise<AcceptedPurchase[]> {
  const select = `SELECT p.purchase_id, p.user_id, p.product_id, p.quantity, p.installments, p.amount_cents, p.total_cents, p.installment_cents,
                         pr.currency, pr.monthly_rate_bp, o.traceparent
                    FROM purchase_outbox o JOIN purchases p USING (purchase_id) JOIN products pr ON pr.product_id = p.product_id
                   WHERE o.kind = 'PurchaseRequested'`;
  if ('purchaseIds' in which && which.purchaseIds.length === 0) return [];
  const [rows] =
    'purchaseIds' in which
      ? await pool.query<RowDataPacket[]>(`${select} AND o.purchase_id IN (?)`, [which.purchaseIds])
      : await pool.query<RowDataPacket[]>(`${select} AND o.created_at <= ? ORDER BY o.id LIMIT ?`, [new Date(which.olderThan), which.limit]);
  return rows.map((r) => ({
    purchaseId: r.purchase_id as string,
    userId: r.user_id as string,
    traceparent: (r.traceparent as string | null) ?? null,
    quote: quoteOf(r),
  }));
}

/** The runs of these purchases are started: their outbox rows go. */
export async function markStarted(pool: Pool, purchaseIds: string[]): Promise<void> {
  if (purchaseIds.length === 0) return;
  await pool.query("DELETE FROM purchase_outbox WHERE kind = 'PurchaseRequested' AND purchase_id IN (?)", [purchaseIds]);
}
