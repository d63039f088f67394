// MySQL access for the purchase journey: catalogue, blocks, purchases and their timeline, and
// the contracts fulfillment effects.
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Product, Quote } from '../domain/purchase-quote';
import { FINAL_STATUSES, pathTo, PURCHASE_STATUSES, type PurchaseStatus } from '../domain/purchase-status';
import { inTransaction } from '../platform/db/transaction';
import { traceIdOf } from '../platform/trace-context';

export interface PurchaseView extends Quote {
  purchaseId: string;
  userId: string;
  status: PurchaseStatus;
  reason: string | null;
  createdAt: string;
  timeline: { status: PurchaseStatus; at: string; detail: string | null }[];
  /** The trace of the request that accepted it (null when untraced). */
  traceId: string | null;
}

export async function getProduct(db: Pool | PoolConnection, productId: string): Promise<Product | undefined> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM products WHERE product_id = ?', [productId]);
  const r = rows[0];
  return r ? toProduct(r) : undefined;
}

/** The catalogue, with what is left in stock. */
export async function listProducts(pool: Pool): Promise<(Product & { stock: number })[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM products ORDER BY name');
  return rows.map((r) => ({ ...toProduct(r), stock: Number(r.stock) }));
}

export interface PurchaseSummary {
  purchaseId: string;
  productId: string;
  quantity: number;
  totalCents: number;
  status: PurchaseStatus;
  createdAt: string;
  /** The trace of the request that accepted it (null when untraced). */
  traceId: string | null;
}

/**
 * One user's purchases, newest first, a page at a time: `before` is the cursor the previous page
 * returned (created_at and id, so purchases made in the same millisecond are neither skipped nor repeated).
 */
export async function listPurchases(pool: Pool, userId: string, limit: number, before?: { createdAt: Date; purchaseId: string }): Promise<PurchaseSummary[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT purchase_id, product_id, quantity, total_cents, status, created_at, traceparent FROM purchases
      WHERE user_id = ? ${before ? 'AND (created_at, purchase_id) < (?, ?)' : ''} ORDER BY created_at DESC, purchase_id DESC LIMIT ?`,
    before ? [userId, before.createdAt, before.purchaseId, limit] : [userId, limit],
  );
  return rows.map((r) => ({
    purchaseId: r.purchase_id as string,
    productId: r.product_id as string,
    quantity: Number(r.quantity),
    totalCents: Number(r.total_cents),
    status: r.status as PurchaseStatus,
    createdAt: (r.created_at as Date).toISOString(),
    traceId: traceIdOf(r.traceparent as string | null),
  }));
}

function toProduct(r: RowDataPacket): Product {
  return {
    productId: r.product_id as string,
    name: r.name as string,
    priceCents: Number(r.price_cents),
    currency: r.currency as string,
    maxInstallments: Number(r.max_installments),
    monthlyRateBp: Number(r.monthly_rate_bp),
    minAmountCents: Number(r.min_amount_cents),
    maxAmountCents: Number(r.max_amount_cents),
  };
}

export async function blockReason(pool: Pool, userId: string): Promise<string | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT reason FROM customer_blocks WHERE user_id = ?', [userId]);
  return rows[0]?.reason as string | undefined;
}

/** One status a purchase passed through: what is pushed on `user:{id}`. */
export interface PurchaseHop {
  purchaseId: string;
  userId: string;
  status: PurchaseStatus;
  detail: string | null;
  at: number;
  /** The purchase's trace (from the request that accepted it), when traced: its push joins it. */
  traceparent?: string;
}

export interface MoveOutcome {
  moved: boolean;
  status: PurchaseStatus;
  /** The statuses this move stamped (PROCESSING brought along before an outcome), or, for a repeat, those it had stamped. */
  hops: PurchaseHop[];
  /** The move had been made before (a retried step): its statuses were pushed then. */
  repeat: boolean;
}

/**
 * Moves a purchase forward (domain/purchase-status.ts: never back, PROCESSING stamped before an
 * outcome that arrives while PENDING), with its row locked for the rest of the caller's
 * transaction. A repeat of a move that already happened (a retried step) answers as the first did.
 */
export async function movePurchase(
  conn: PoolConnection,
  move: { purchaseId: string; to: Exclude<PurchaseStatus, 'RECEIVED'>; detail?: string },
): Promise<MoveOutcome> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT status, user_id, traceparent FROM purchases WHERE purchase_id = ? FOR UPDATE', [move.purchaseId]);
  const row = rows[0];
  if (!row) throw new Error(`no purchase ${move.purchaseId}`);
  const from = row.status as PurchaseStatus;
  const own = { purchaseId: move.purchaseId, userId: row.user_id as string, ...(row.traceparent ? { traceparent: row.traceparent as string } : {}) };
  if (from === move.to) {
    const [stamped] = await conn.query<RowDataPacket[]>('SELECT status, at, detail FROM purchase_timeline WHERE purchase_id = ? AND status IN (?)', [
      move.purchaseId,
      ['PROCESSING', move.to],
    ]);
    const hops = stamped.map((t) => ({
      ...own,
      status: t.status as PurchaseStatus,
      detail: (t.detail as string | null) ?? null,
      at: (t.at as Date).getTime(),
    }));
    return { moved: true, status: from, hops: hops.sort((a, b) => a.at - b.at), repeat: true };
  }
  const path = pathTo(from, move.to);
  if (path.length === 0) return { moved: false, status: from, hops: [], repeat: false };
  const at = Date.now();
  const hops: PurchaseHop[] = path.map((status) => ({ ...own, status, detail: status === move.to ? (move.detail ?? null) : null, at }));
  await conn.query('INSERT IGNORE INTO purchase_timeline (purchase_id, status, at, detail) VALUES ?', [
    hops.map((h) => [h.purchaseId, h.status, new Date(h.at), h.detail]),
  ]);
  await conn.query('UPDATE purchases SET status = ?, reason = ?, updated_at = ? WHERE purchase_id = ?', [
    move.to,
    FINAL_STATUSES.includes(move.to) ? (move.detail ?? null) : null,
    new Date(at),
    move.purchaseId,
  ]);
  return { moved: true, status: move.to, hops, repeat: false };
}

/** A purchase row's quote (joined with its product's currency and rate). */
export const quoteOf = (r: RowDataPacket): Quote => ({
  productId: r.product_id as string,
  quantity: Number(r.quantity),
  installments: Number(r.installments),
  currency: r.currency as string,
  amountCents: Number(r.amount_cents),
  monthlyRatePercent: Number(r.monthly_rate_bp) / 100,
  installmentCents: Number(r.installment_cents),
  totalCents: Number(r.total_cents),
  feesCents: Number(r.total_cents) - Number(r.amount_cents),
});

export async function getPurchase(pool: Pool, purchaseId: string, userId?: string): Promise<PurchaseView | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT p.*, pr.currency, pr.monthly_rate_bp FROM purchases p JOIN products pr USING (product_id) WHERE purchase_id = ?',
    [purchaseId],
  );
  const r = rows[0];
  if (!r || (userId !== undefined && r.user_id !== userId)) return undefined;
  const [timeline] = await pool.query<RowDataPacket[]>('SELECT status, at, detail FROM purchase_timeline WHERE purchase_id = ? ORDER BY at, FIELD(status, ?)', [
    purchaseId,
    PURCHASE_STATUSES,
  ]);
  return {
    purchaseId,
    userId: r.user_id as string,
    ...quoteOf(r),
    status: r.status as PurchaseStatus,
    reason: (r.reason as string | null) ?? null,
    createdAt: (r.created_at as Date).toISOString(),
    timeline: timeline.map((t) => ({ status: t.status as PurchaseStatus, at: (t.at as Date).toISOString(), detail: (t.detail as string | null) ?? null })),
    traceId: traceIdOf(r.traceparent as string | null),
  };
}

export type ContractOutcome = { outcome: 'COMPLETED' } | { outcome: 'REJECTED'; reason: string } | { outcome: 'CANCELLED' };

/**
 * Effects the contract once per purchase: reserves stock and writes the contract row in one
 * transaction. A redelivery finds the row and answers the same; a tombstone (cancelled first) wins.
 */
export async function effectContract(pool: Pool, purchaseId: string, productId: string, quantity: number): Promise<ContractOutcome> {
  return inTransaction(pool, async (conn) => {
    const [existing] = await conn.query<RowDataPacket[]>('SELECT status FROM purchase_contracts WHERE purchase_id = ? FOR UPDATE', [purchaseId]);
    let result: ContractOutcome;
    if (existing[0]) {
      const s = existing[0].status as string;
      result = s === 'ACTIVE' ? { outcome: 'COMPLETED' } : s === 'REJECTED' ? { outcome: 'REJECTED', reason: 'out of stock' } : { outcome: 'CANCELLED' };
    } else {
      const [reserved] = await conn.query<ResultSetHeader>('UPDATE products SET stock = stock - ? WHERE product_id = ? AND stock >= ?', [
        quantity,
        productId,
        quantity,
      ]);
      const ok = reserved.affectedRows === 1;
      await conn.query('INSERT INTO purchase_contracts (purchase_id, product_id, quantity, status) VALUES (?, ?, ?, ?)', [
        purchaseId,
        productId,
        ok ? quantity : 0,
        ok ? 'ACTIVE' : 'REJECTED',
      ]);
      result = ok ? { outcome: 'COMPLETED' } : { outcome: 'REJECTED', reason: 'out of stock' };
    }
    return result;
  });
}

/** Compensation: releases what the contract reserved, or leaves a tombstone if none exists yet. */
export async function cancelContract(pool: Pool, purchaseId: string, productId: string): Promise<'released' | 'tombstone' | 'nothing'> {
  return inTransaction(pool, async (conn) => {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT status, quantity FROM purchase_contracts WHERE purchase_id = ? FOR UPDATE', [purchaseId]);
    let done: 'released' | 'tombstone' | 'nothing' = 'nothing';
    if (!rows[0]) {
      await conn.query(
        "INSERT INTO purchase_contracts (purchase_id, product_id, quantity, status, cancelled_at) VALUES (?, ?, 0, 'CANCELLED', CURRENT_TIMESTAMP(3))",
        [purchaseId, productId],
      );
      done = 'tombstone';
    } else if (rows[0].status === 'ACTIVE') {
      await conn.query('UPDATE products SET stock = stock + ? WHERE product_id = ?', [Number(rows[0].quantity), productId]);
      await conn.query("UPDATE purchase_contracts SET status = 'CANCELLED', cancelled_at = CURRENT_TIMESTAMP(3) WHERE purchase_id = ?", [purchaseId]);
      done = 'released';
    }
    return done;
  });
}

export async function contractOf(pool: Pool, purchaseId: string): Promise<{ status: string; quantity: number } | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT status, quantity FROM purchase_contracts WHERE purchase_id = ?', [purchaseId]);
  return rows[0] ? { status: rows[0].status as string, quantity: Number(rows[0].quantity) } : undefined;
}
