// MySQL access for the purchase journey: catalogue, blocks, purchases and their timeline, and
// the contracts fulfillment effects.
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Product, Quote } from '../domain/purchase-quote';
import { inTransaction } from '../platform/db/transaction';

export const PURCHASE_STATUSES = ['RECEIVED', 'PENDING', 'PROCESSING', 'COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];
export const FINAL_STATUSES: readonly PurchaseStatus[] = ['COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED'];

export interface PurchaseView extends Quote {
  purchaseId: string;
  userId: string;
  status: PurchaseStatus;
  reason: string | null;
  createdAt: string;
  timeline: { status: PurchaseStatus; at: string; detail: string | null }[];
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
}

/**
 * One user's purchases, newest first, a page at a time: `before` is the cursor the previous page
 * returned (created_at and id, so purchases made in the same millisecond are neither skipped nor repeated).
 */
export async function listPurchases(pool: Pool, userId: string, limit: number, before?: { createdAt: Date; purchaseId: string }): Promise<PurchaseSummary[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT purchase_id, product_id, quantity, total_cents, status, created_at FROM purchases
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

export async function insertPurchase(conn: PoolConnection, purchaseId: string, userId: string, q: Quote): Promise<void> {
  await conn.query(
    `INSERT INTO purchases (purchase_id, user_id, product_id, quantity, installments, amount_cents, total_cents, installment_cents, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED')`,
    [purchaseId, userId, q.productId, q.quantity, q.installments, q.amountCents, q.totalCents, q.installmentCents],
  );
  await conn.query("INSERT INTO purchase_timeline (purchase_id, status, at) VALUES (?, 'RECEIVED', CURRENT_TIMESTAMP(3))", [purchaseId]);
}

/** Moves the purchase to `status` and stamps the timeline once (a retry keeps the first time). */
export async function recordStatus(pool: Pool, purchaseId: string, status: PurchaseStatus, detail?: string): Promise<string> {
  return inTransaction(pool, async (conn) => {
    await conn.query('INSERT IGNORE INTO purchase_timeline (purchase_id, status, at, detail) VALUES (?, ?, CURRENT_TIMESTAMP(3), ?)', [
      purchaseId,
      status,
      detail ?? null,
    ]);
    await conn.query('UPDATE purchases SET status = ?, reason = COALESCE(?, reason), updated_at = CURRENT_TIMESTAMP(3) WHERE purchase_id = ?', [
      status,
      FINAL_STATUSES.includes(status) ? (detail ?? null) : null,
      purchaseId,
    ]);
    const [rows] = await conn.query<RowDataPacket[]>('SELECT at FROM purchase_timeline WHERE purchase_id = ? AND status = ?', [purchaseId, status]);
    return (rows[0]!.at as Date).toISOString();
  });
}

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
    productId: r.product_id as string,
    quantity: Number(r.quantity),
    installments: Number(r.installments),
    currency: r.currency as string,
    amountCents: Number(r.amount_cents),
    monthlyRatePercent: Number(r.monthly_rate_bp) / 100,
    installmentCents: Number(r.installment_cents),
    totalCents: Number(r.total_cents),
    feesCents: Number(r.total_cents) - Number(r.amount_cents),
    status: r.status as PurchaseStatus,
    reason: (r.reason as string | null) ?? null,
    createdAt: (r.created_at as Date).toISOString(),
    timeline: timeline.map((t) => ({ status: t.status as PurchaseStatus, at: (t.at as Date).toISOString(), detail: (t.detail as string | null) ?? null })),
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
