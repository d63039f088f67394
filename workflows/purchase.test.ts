import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it, vi } from 'vitest';
import {
  cancelPurchaseUpdate,
  CANCEL_NOT_ALLOWED,
  fulfillmentOutcomeSignal,
  purchaseStateQuery,
  purchaseWorkflowId,
  PURCHASE_INVALID,
  type PurchaseActivities,
  type PurchaseMessage,
} from '../contracts/purchase';
import type { Quote } from '../domain/purchase-quote';
import { CUSTOMER_REJECTION, pathTo, type PurchaseStatus } from '../domain/purchase-status';
import { useTimeSkipping } from '../test/support/temporal';
import { purchase } from './purchase';

// Time-skipping: the purchase workflow's logic with stub activities over an in-memory purchase row
// that follows the same forward-only rules as MySQL; test/purchases.e2e.test.ts runs the real
// activities against the real servers, on the dev server with the search attributes registered
// (the test server has no operator service to register them), where the workflow tasks per
// purchase are counted too (the test server adds tasks of its own around a cold worker's first run).
const quote: Quote = {
  productId: 'phone-x',
  quantity: 1,
  installments: 1,
  currency: 'BRL',
  amountCents: 399900,
  monthlyRatePercent: 1.99,
  installmentCents: 399900,
  totalCents: 399900,
  feesCents: 0,
};

/** Stub steps over one purchase row: `pushed` is what the user saw, in order, once per status. */
function stubs(opts: { invalid?: string } = {}) {
  const row = { status: 'RECEIVED' as PurchaseStatus, reason: undefined as string | undefined };
  const pushed: PurchaseStatus[] = [];
  const messages: PurchaseMessage['type'][] = [];
  /** Every publish, copies included, with the test server's time. */
  const sent: PurchaseMessage['type'][] = [];
  const stamp = (statuses: PurchaseStatus[]) => statuses.map((status) => ({ status, at: new Date().toISOString() }));
  const moveTo = (to: Exclude<PurchaseStatus, 'RECEIVED'>, detail?: string) => {
    if (row.status === to) return { moved: true, status: row.status, stamped: stamp([to]) };
    const path = pathTo(row.status, to);
    if (path.length === 0) return { moved: false, status: row.status, stamped: [] };
    for (const s of path) if (!pushed.includes(s)) pushed.push(s);
    row.status = to;
    if (detail !== undefined) row.reason = detail;
    return { moved: true, status: to, stamped: stamp(path) };
  };
  const activities: PurchaseActivities = {
    async validatePurchase() {
      if (opts.invalid) throw ApplicationFailure.nonRetryable(opts.invalid, PURCHASE_INVALID);
    },
    async movePurchase({ to, detail }) {
      return moveTo(to, detail);
    },
    async publishPurchaseMessage(m) {
      if (!messages.includes(m.type)) messages.push(m.type);
      sent.push(m.type);
      return 'msg';
    },
  };
  // The results consumer's part: PROCESSING applied to the row directly, not through the run.
  return { activities, row, pushed, messages, sent, processing: () => moveTo('PROCESSING') };
}

type Handle = WorkflowHandle<typeof purchase>;

describe('purchase workflow (time-skipping test server)', () => {
  const ts = useTimeSkipping();
  let n = 0;

  /** Runs `body` with a worker over the stubs and a started purchase. */
  async function withPurchase(s: ReturnType<typeof stubs>, body: (h: Handle, id: string) => Promise<void>, resultTimeoutMs = 60 * 60 * 1000) {
    const taskQueue = `purchase-ts-${++n}`;
    const id = `p-${n}`;
    const worker = await ts.worker({ taskQueue, activities: s.activities });
    await worker.runUntil(async () => {
      const handle = await ts.env.client.workflow.start(purchase, {
        taskQueue,
        workflowId: purchaseWorkflowId('ts', id),
        args: [{ purchaseId: id, userId: 'u1', quote, resultTimeoutMs }],
      });
      await body(handle, id);
    });
  }
  /** Waits (and fails loudly after 10 s) until PurchaseRequested is out and the run says PENDING. */
  const pendingReached = (h: Handle, s: ReturnType<typeof stubs>) =>
    vi.waitFor(
      async () => {
        expect(s.messages).toContain('PurchaseRequested');
        expect((await h.query(purchaseStateQuery)).status).toBe('PENDING');
      },
      { timeout: 10_000, interval: 20 },
    );

  it('happy path: PENDING, PROCESSING (from the consumer), COMPLETED; one PurchaseRequested', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      s.processing();
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'COMPLETED' });
      const state = await h.result();
      expect(state.status).toBe('COMPLETED');
      expect(state.timeline.map((t) => t.status)).toEqual(['PENDING', 'COMPLETED']);
    });
    expect(s.pushed).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(s.messages).toEqual(['PurchaseRequested']);
  });

  it('validation failure: REJECTED with a customer-safe reason, nothing published', async () => {
    const s = stubs({ invalid: 'customer is blocked: fraud review' });
    await withPurchase(s, async (h) => {
      expect(await h.result()).toMatchObject({ status: 'REJECTED', reason: CUSTOMER_REJECTION });
      // The operator's reason is in the run's history (the validation step's failure).
      expect(JSON.stringify((await h.fetchHistory()).events)).toContain('customer is blocked: fraud review');
    });
    expect(s.pushed).toEqual(['REJECTED']);
    expect(s.row.reason).toBe(CUSTOMER_REJECTION);
    expect(s.messages).toEqual([]);
  });

  it('fulfillment rejects before PROCESSING was applied: PROCESSING stamped first, then REJECTED with its reason; no compensation', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'REJECTED', reason: 'out of stock' });
      expect(await h.result()).toMatchObject({ status: 'REJECTED', reason: 'out of stock' });
    });
    expect(s.pushed).toEqual(['PENDING', 'PROCESSING', 'REJECTED']);
    expect(s.messages).toEqual(['PurchaseRequested']);
  });

  it('no outcome before the deadline: EXPIRED on the durable timer, and PurchaseCancelled compensates', async () => {
    const s = stubs();
    await withPurchase(
      s,
      async (h) => {
        const before = await ts.env.currentTimeMs();
        expect(await h.result()).toMatchObject({ status: 'EXPIRED', reason: 'no fulfillment result within 7200 s' });
        expect((await ts.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(2 * 60 * 60 * 1000 - 1_000);
      },
      2 * 60 * 60 * 1000,
    );
    expect(s.pushed).toEqual(['PENDING', 'EXPIRED']);
    expect(s.messages).toEqual(['PurchaseRequested', 'PurchaseCancelled']);
  });

  it('no outcome: PurchaseRequested goes out once more at half the deadline (a lost copy), then EXPIRED and compensated', async () => {
    const s = stubs();
    await withPurchase(s, async (h) => expect(await h.result()).toMatchObject({ status: 'EXPIRED' }), 60_000);
    expect(s.sent).toEqual(['PurchaseRequested', 'PurchaseRequested', 'PurchaseCancelled']);
    expect(s.pushed).toEqual(['PENDING', 'EXPIRED']);
  });

  it('the first copy lost: the outcome of the second completes the purchase before the deadline, and no more copies go out', async () => {
    const s = stubs();
    await withPurchase(
      s,
      async (h, id) => {
        // Fulfillment answers only the second copy, as when the first sat in a queue that was lost.
        await pendingReached(h, s);
        await ts.env.sleep(31_000); // past half of the 60 s deadline
        await vi.waitFor(() => expect(s.sent.length).toBe(2), { timeout: 10_000, interval: 20 });
        await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'COMPLETED' });
        expect(await h.result()).toMatchObject({ status: 'COMPLETED' });
      },
      60_000,
    );
    expect(s.sent).toEqual(['PurchaseRequested', 'PurchaseRequested']);
    expect(s.pushed).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
  });

  it('a cancel whose workflow task failed after its steps (the Update dropped): the outcome finds CANCELLED in the store, and the run compensates', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      // What the lost task left: the row CANCELLED, no Update in the history, and fulfillment's outcome on its way.
      s.row.status = 'CANCELLED';
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'COMPLETED' });
      expect(await h.result()).toMatchObject({ status: 'CANCELLED' });
    });
    expect(s.sent).toEqual(['PurchaseRequested', 'PurchaseCancelled']);
  });

  it('expires from PROCESSING too, and compensates', async () => {
    const s = stubs();
    await withPurchase(
      s,
      async (h) => {
        await pendingReached(h, s);
        s.processing();
        expect(await h.result()).toMatchObject({ status: 'EXPIRED' });
      },
      60_000,
    );
    expect(s.pushed).toEqual(['PENDING', 'PROCESSING', 'EXPIRED']);
    expect(s.messages).toEqual(['PurchaseRequested', 'PurchaseCancelled']);
  });

  it('cancel before fulfillment started: the update answers CANCELLED and the run compensates', async () => {
    const s = stubs();
    await withPurchase(s, async (h) => {
      await pendingReached(h, s);
      const state = await h.executeUpdate(cancelPurchaseUpdate, { args: [{ reason: 'changed my mind' }] });
      expect(state).toMatchObject({ status: 'CANCELLED', reason: 'changed my mind' });
      expect(await h.result()).toMatchObject({ status: 'CANCELLED' });
    });
    expect(s.pushed).toEqual(['PENDING', 'CANCELLED']);
    expect(s.messages).toEqual(['PurchaseRequested', 'PurchaseCancelled']);
  });

  it('cancel after PROCESSING was applied is refused (CancelNotAllowed); the purchase then completes', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      s.processing();
      const refused = await h.executeUpdate(cancelPurchaseUpdate, { args: [{}] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({
        type: CANCEL_NOT_ALLOWED,
        message: 'fulfillment has started; the purchase can no longer be cancelled',
      });
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'COMPLETED' });
      expect(await h.result()).toMatchObject({ status: 'COMPLETED' });
    });
    expect(s.pushed).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(s.messages).toEqual(['PurchaseRequested']);
  });

  it('cancel once the outcome has arrived, or after the end, is refused by the validator', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'COMPLETED' });
      await h.result();
      await expect(h.executeUpdate(cancelPurchaseUpdate, { args: [{}] })).rejects.toThrow();
    });
    expect(s.messages).toEqual(['PurchaseRequested']);
  });

  it('duplicate and late outcomes are ignored: the first wins, each status pushed once; a signal after the end is refused', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'COMPLETED' });
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'COMPLETED' });
      await h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'REJECTED', reason: 'late' });
      expect(await h.result()).toMatchObject({ status: 'COMPLETED' });
      s.processing(); // a late PROCESSING report changes nothing
      await expect(h.signal(fulfillmentOutcomeSignal, { purchaseId: id, kind: 'REJECTED', reason: 'too late' })).rejects.toThrow();
    });
    expect(s.pushed).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(s.row.status).toBe('COMPLETED');
  });
});
