// MySQL side of the purchase journey without a workflow per purchase (docs/purchase-journey.md):
// the outbox a purchase leaves through, and every status move as a forward-only conditional update
// over locked rows. Each function takes `beforeCommit` so the caller pushes what changed while the
// rows are still locked: a later move of the same purchase (another process) waits for the commit,
// so the user's socket sees the statuses in order.
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { ImpossibleTermsError, quote, type Quote } from '../domain/purchase-quote';
import { inTransaction } from '../platform/db/transaction';
import { currentTraceparent } from '../platform/trace-context';
import { getProduct, type PurchaseStatus } from './purchases';

/** One status a purchase moved to: what is pushed on `user:{id}`. */
export interface PurchaseHop {
  purchaseId: string;
  userId: string;
  status: PurchaseStatus;
  detail: string | null;
  at: number;
  /** The purchase's trace (from the request that accepted it), when traced: its push joins it. */
  traceparent?: string;
}

// The shapes of contracts/purchase.ts (FulfillmentResult, PurchaseMessage), spelled out here
// because contracts/ depends on stores/ and not the other way round.
type FulfillmentResult =
  { purchaseId: string; kind: 'PROCESSING' } | { purchaseId: string; kind: 'COMPLETED' } | { purchaseId: string; kind: 'REJECTED'; reason: string };
export type OutboxKind = 'PurchaseRequested' | 'PurchaseCancelled';
export interface PurchaseMessage {
  type: OutboxKind;
  purchaseId: string;
  userId: string;
  productId: string;
  quantity: number;
  totalCents: number;
}

/**
 * Accepts a purchase of the outbox design: the row, its RECEIVED stamp and its outbox row, in the
 * caller's transaction. Both rows keep the request's trace (`traceparent`, default: the active
 * span's), so the dispatch and every later move continue it (docs/tracing.md).
 */
export async function insertOutboxPurchase(
  conn: PoolConnection,
  purchaseId: string,
  userId: string,
  q: Quote,
  at: Date,
  traceparent: string | null = currentTraceparent(),
): Promise<void> {
  await conn.query(
    `INSERT INTO purchases (purchase_id, user_id, product_id, quantity, installments, amount_cents, total_cents, installment_cents, status, journey, created_at, updated_at, traceparent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', 'outbox', ?, ?, ?)`,
    [purchaseId, userId, q.productId, q.quantity, q.installments, q.amountCents, q.totalCents, q.installmentCents, at, at, traceparent],
  );
  await conn.query("INSERT INTO purchase_timeline (purchase_id, status, at) VALUES (?, 'RECEIVED', ?)", [purchaseId, at]);
  await conn.query("INSERT INTO purchase_outbox (purchase_id, kind, traceparent) VALUES (?, 'PurchaseRequested', ?)", [purchaseId, traceparent]);
}

interface Locked {
  purchaseId: string;
  userId: string;
  status: PurchaseStatus;
  journey: 'workflow' | 'outbox';
  quote: Quote;
  traceparent?: string;
}

async function lockPurchases(conn: PoolConnection, ids: string[]): Promise<Map<string, Locked>> {
  if (ids.length === 0) return new Map();
  const [rows] = await conn.query<RowDataPacket[]>('SELECT * FROM purchases WHERE purchase_id IN (?) ORDER BY purchase_id FOR UPDATE', [[...new Set(ids)]]);
  return new Map(
    rows.map((r) => [
      r.purchase_id as string,
      {
        purchaseId: r.purchase_id as string,
        userId: r.user_id as string,
        status: r.status as PurchaseStatus,
        journey: r.journey as 'workflow' | 'outbox',
        ...(r.traceparent ? { traceparent: r.traceparent as string } : {}),
        quote: {
          productId: r.product_id as string,
          quantity: Number(r.quantity),
          installments: Number(r.installments),
          amountCents: Number(r.amount_cents),
          totalCents: Number(r.total_cents),
          installmentCents: Number(r.installment_cents),
        } as Quote,
      },
    ]),
  );
}

/** Writes the moves: status (and reason when final), one timeline stamp each (a repeat keeps the first). */
async function writeHops(conn: PoolConnection, hops: PurchaseHop[], final: readonly PurchaseStatus[] = ['COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED']) {
  if (hops.length === 0) return;
  await conn.query('INSERT IGNORE INTO purchase_timeline (purchase_id, status, at, detail) VALUES ?', [
    hops.map((h) => [h.purchaseId, h.status, new Date(h.at), h.detail]),
  ]);
  const last = new Map<string, PurchaseHop>();
  for (const h of hops) last.set(h.purchaseId, h);
  for (const h of last.values()) {
    await conn.query('UPDATE purchases SET status = ?, reason = COALESCE(?, reason), updated_at = ? WHERE purchase_id = ?', [
      h.status,
      final.includes(h.status) ? h.detail : null,
      new Date(h.at),
      h.purchaseId,
    ]);
  }
}

/** The purchase's part of a hop (with its trace, when it has one). */
const hopOf = (p: Locked) => ({ purchaseId: p.purchaseId, userId: p.userId, ...(p.traceparent ? { traceparent: p.traceparent } : {}) });

const messageOf = (p: Locked, type: OutboxKind): PurchaseMessage => ({
  type,
  purchaseId: p.purchaseId,
  userId: p.userId,
  productId: p.quote.productId,
  quantity: p.quote.quantity,
  totalCents: p.quote.totalCents,
});

/** Why a purchase cannot go to fulfillment (unknown product, terms changed or impossible, customer blocked), or nothing. */
async function rejection(conn: PoolConnection, p: Locked, blocks: Map<string, string>): Promise<string | undefined> {
  const product = await getProduct(conn, p.quote.productId);
  if (!product) return `unknown product ${p.quote.productId}`;
  try {
    if (quote(product, p.quote).totalCents !== p.quote.totalCents) return 'the product terms changed since the quote';
  } catch (err) {
    if (err instanceof ImpossibleTermsError) return err.message;
    throw err;
  }
  const blocked = blocks.get(p.userId);
  return blocked ? `customer is blocked: ${blocked}` : undefined;
}

/**
 * Claims outbox rows (these purchases', or the oldest older than `olderThan`; SKIP LOCKED, so the
 * API's dispatch and the relay never double-claim), and with the purchases locked: a request whose
 * purchase was cancelled meanwhile is dropped, an invalid one becomes REJECTED, a valid one PENDING
 * with its deadline. `send` publishes the messages (and arms their deadline): a failed send rolls
 * everything back and the rows stay for the relay. Then the rows go and `beforeCommit` pushes.
 */
export async function dispatchPurchaseOutbox(
  pool: Pool,
  which: { purchaseIds: string[] } | { olderThan: number; limit: number },
  deadlineAt: number,
  send: (messages: PurchaseMessage[], traceparents: (string | null)[]) => Promise<void>,
  beforeCommit: (hops: PurchaseHop[]) => Promise<void>,
): Promise<{ claimed: number; sent: PurchaseMessage[]; hops: PurchaseHop[] }> {
  return inTransaction(
    pool,
    async (conn) => {
      const [claimed] =
        'purchaseIds' in which
          ? await conn.query<RowDataPacket[]>(
              'SELECT id, purchase_id, kind, traceparent FROM purchase_outbox WHERE purchase_id IN (?) ORDER BY id FOR UPDATE SKIP LOCKED',
              [which.purchaseIds],
            )
          : await conn.query<RowDataPacket[]>(
              'SELECT id, purchase_id, kind, traceparent FROM purchase_outbox WHERE created_at <= ? ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED',
              [new Date(which.olderThan), which.limit],
            );
      if (claimed.length === 0) return { claimed: 0, sent: [], hops: [] };
      const purchases = await lockPurchases(
        conn,
        claimed.map((r) => r.purchase_id as string),
      );
      const users = [...new Set([...purchases.values()].map((p) => p.userId))];
      const [blockRows] = await conn.query<RowDataPacket[]>('SELECT user_id, reason FROM customer_blocks WHERE user_id IN (?)', [users.length ? users : ['']]);
      const blocks = new Map(blockRows.map((r) => [r.user_id as string, r.reason as string]));
      const now = Date.now();
      const messages: PurchaseMessage[] = [];
      // Each message's trace: its outbox row's (the request that wrote it).
      const traceparents: (string | null)[] = [];
      const hops: PurchaseHop[] = [];
      const pending: string[] = [];
      for (const row of claimed) {
        const p = purchases.get(row.purchase_id as string);
        if (!p) continue;
        if (row.kind === 'PurchaseCancelled') {
          messages.push(messageOf(p, 'PurchaseCancelled'));
          traceparents.push((row.traceparent as string | null) ?? null);
          continue;
        }
        if (p.status !== 'RECEIVED') continue; // cancelled before it left: nothing to tell fulfillment
        const reason = await rejection(conn, p, blocks);
        if (reason) {
          hops.push({ ...hopOf(p), status: 'REJECTED', detail: reason, at: now });
          continue;
        }
        hops.push({ ...hopOf(p), status: 'PENDING', detail: null, at: now });
        pending.push(p.purchaseId);
        messages.push(messageOf(p, 'PurchaseRequested'));
        traceparents.push((row.traceparent as string | null) ?? null);
      }
      if (messages.length > 0) await send(messages, traceparents);
      await writeHops(conn, hops);
      if (pending.length > 0) await conn.query('UPDATE purchases SET deadline_at = ? WHERE purchase_id IN (?)', [new Date(deadlineAt), pending]);
      await conn.query('DELETE FROM purchase_outbox WHERE id IN (?)', [claimed.map((r) => r.id as number)]);
      await beforeCommit(hops);
      return { claimed: claimed.length, sent: messages, hops };
      // READ COMMITTED: the claim locks only the rows it returns, so the API's inserts never wait.
    },
    { isolation: 'READ COMMITTED' },
  );
}

const RANK: Partial<Record<PurchaseStatus, number>> = { RECEIVED: 0, PENDING: 1, PROCESSING: 2, COMPLETED: 3, REJECTED: 3 };

/**
 * Applies fulfillment's results, forward only: PROCESSING from PENDING, an outcome from PENDING or
 * PROCESSING (PROCESSING brought along, so it always precedes the outcome). A duplicate, a late
 * result, or one for a purchase already EXPIRED or CANCELLED changes nothing (its compensation is
 * on its way). Results for purchases of the workflow design are returned for their runs.
 */
export async function applyPurchaseResults(
  pool: Pool,
  results: FulfillmentResult[],
  beforeCommit: (hops: PurchaseHop[]) => Promise<void>,
): Promise<{ hops: PurchaseHop[]; workflow: FulfillmentResult[] }> {
  return inTransaction(
    pool,
    async (conn) => {
      const purchases = await lockPurchases(
        conn,
        results.map((r) => r.purchaseId),
      );
      const hops: PurchaseHop[] = [];
      const workflow: FulfillmentResult[] = [];
      const now = Date.now();
      for (const r of results) {
        const p = purchases.get(r.purchaseId);
        if (!p) continue;
        if (p.journey === 'workflow') {
          workflow.push(r);
          continue;
        }
        const from = RANK[p.status];
        const to = RANK[r.kind]!;
        if (from === undefined || from === 0 || to <= from || from === 3) continue;
        if (r.kind !== 'PROCESSING' && p.status === 'PENDING') hops.push({ ...hopOf(p), status: 'PROCESSING', detail: null, at: now });
        hops.push({ ...hopOf(p), status: r.kind, detail: r.kind === 'REJECTED' ? r.reason : null, at: now });
        p.status = r.kind;
      }
      await writeHops(conn, hops);
      if (hops.length > 0) await beforeCommit(hops);
      return { hops, workflow };
    },
    { isolation: 'READ COMMITTED' },
  );
}

export type CancelOutcome =
  | { outcome: 'cancelled'; hop: PurchaseHop; compensate: boolean }
  | { outcome: 'refused'; status: PurchaseStatus; reason: string }
  | { outcome: 'workflow' }
  | { outcome: 'missing' };

/**
 * Cancels while fulfillment has not started (RECEIVED or PENDING): CANCELLED, and a
 * PurchaseCancelled outbox row when PurchaseRequested has gone out. Refused otherwise.
 */
export async function cancelOutboxPurchase(
  pool: Pool,
  purchaseId: string,
  userId: string,
  reason: string,
  beforeCommit: (hops: PurchaseHop[]) => Promise<void>,
): Promise<CancelOutcome> {
  return inTransaction(
    pool,
    async (conn): Promise<CancelOutcome> => {
      const p = (await lockPurchases(conn, [purchaseId])).get(purchaseId);
      if (!p || p.userId !== userId) return { outcome: 'missing' };
      if (p.journey === 'workflow') return { outcome: 'workflow' };
      if (p.status !== 'RECEIVED' && p.status !== 'PENDING') {
        return {
          outcome: 'refused',
          status: p.status,
          reason: p.status === 'PROCESSING' ? 'fulfillment has started; the purchase can no longer be cancelled' : `purchase is already ${p.status}`,
        };
      }
      const hop: PurchaseHop = { ...hopOf(p), status: 'CANCELLED', detail: reason, at: Date.now() };
      await writeHops(conn, [hop]);
      const compensate = p.status === 'PENDING';
      if (compensate)
        await conn.query("INSERT IGNORE INTO purchase_outbox (purchase_id, kind, traceparent) VALUES (?, 'PurchaseCancelled', ?)", [
          purchaseId,
          currentTraceparent(),
        ]);
      await beforeCommit([hop]);
      return { outcome: 'cancelled', hop, compensate };
    },
    { isolation: 'READ COMMITTED' },
  );
}

/**
 * EXPIRES the purchases whose deadline is in (from, to] and that are still PENDING or PROCESSING (a
 * batch, oldest deadline first), each with a PurchaseCancelled outbox row: the compensation.
 */
export async function expirePurchaseDeadlines(
  pool: Pool,
  window: { from: number; to: number; limit: number; now: number; detail: string },
  beforeCommit: (hops: PurchaseHop[]) => Promise<void>,
): Promise<{ hops: PurchaseHop[]; more: boolean }> {
  return inTransaction(
    pool,
    async (conn) => {
      const [rows] = await conn.query<RowDataPacket[]>(
        `SELECT purchase_id, user_id, traceparent FROM purchases WHERE deadline_at > ? AND deadline_at <= ? AND status IN ('PENDING', 'PROCESSING')
         ORDER BY deadline_at, purchase_id LIMIT ? FOR UPDATE`,
        [new Date(window.from), new Date(window.to), window.limit],
      );
      if (rows.length === 0) return { hops: [], more: false };
      const hops: PurchaseHop[] = rows.map((r) => ({
        purchaseId: r.purchase_id as string,
        userId: r.user_id as string,
        status: 'EXPIRED',
        detail: window.detail,
        at: window.now,
        ...(r.traceparent ? { traceparent: r.traceparent as string } : {}),
      }));
      await writeHops(conn, hops);
      // The compensation goes out under the purchase's own trace (the bucket's is shared by many).
      await conn.query('INSERT IGNORE INTO purchase_outbox (purchase_id, kind, traceparent) VALUES ?', [
        hops.map((h) => [h.purchaseId, 'PurchaseCancelled', h.traceparent ?? null]),
      ]);
      await beforeCommit(hops);
      return { hops, more: rows.length >= window.limit };
    },
    { isolation: 'READ COMMITTED' },
  );
}
