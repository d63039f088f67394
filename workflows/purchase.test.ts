import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { PurchaseActivities } from '../activities/purchases';
import type { Quote } from '../domain/purchase-quote';
import type { PurchaseStatus } from '../stores/purchases';
import { useTimeSkipping } from '../test/support/temporal';
import {
  cancelPurchaseUpdate,
  fulfillmentResultSignal,
  purchase,
  purchaseStateQuery,
  purchaseWorkflowId,
  PURCHASE_INVALID,
  type PurchaseMessage,
} from './purchase';

// Time-skipping: the purchase workflow's logic with stub activities that record what they were
// asked to do; test/purchases.e2e.test.ts runs the real activities against the real servers.
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

function stubs(opts: { invalid?: string } = {}) {
  const statuses: { status: PurchaseStatus; detail?: string }[] = [];
  const messages: PurchaseMessage['type'][] = [];
  const activities: PurchaseActivities = {
    async validatePurchase() {
      if (opts.invalid) throw ApplicationFailure.nonRetryable(opts.invalid, PURCHASE_INVALID);
    },
    async recordPurchaseStatus({ status, detail }) {
      statuses.push({ status, detail });
      return new Date().toISOString();
    },
    async publishPurchaseMessage(m) {
      if (!messages.includes(m.type)) messages.push(m.type);
      return 'msg';
    },
  };
  // Local activities run at least once (a retried workflow task may run one again); the real
  // recordPurchaseStatus is idempotent per status, so what matters is the order of first calls.
  return { activities, statuses, messages, names: () => [...new Set(statuses.map((s) => s.status))] };
}

describe('purchase workflow (time-skipping test server)', () => {
  const ts = useTimeSkipping();
  let n = 0;

  /** Runs `body` with a worker over `activities` and a started purchase. */
  async function withPurchase(
    s: ReturnType<typeof stubs>,
    body: (h: Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>, id: string) => Promise<void>,
    resultTimeoutMs = 60 * 60 * 1000,
  ) {
    const taskQueue = `purchase-ts-${++n}`;
    const id = `p-${n}`;
    const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.bundle, activities: s.activities });
    await worker.runUntil(async () => {
      const handle = await ts.env.client.workflow.start(purchase, {
        taskQueue,
        workflowId: purchaseWorkflowId('ts', id),
        args: [{ purchaseId: id, userId: 'u1', quote, resultTimeoutMs }],
      });
      await body(handle, id);
    });
  }
  const pendingReached = async (h: { query: (q: typeof purchaseStateQuery) => Promise<{ status: string }> }, s: ReturnType<typeof stubs>) => {
    for (let i = 0; i < 200 && !(s.messages.includes('PurchaseRequested') && (await h.query(purchaseStateQuery)).status === 'PENDING'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('happy path: PENDING → PROCESSING → COMPLETED, one PurchaseRequested', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'PROCESSING' });
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'COMPLETED' });
      const state = (await h.result()) as { status: string };
      expect(state.status).toBe('COMPLETED');
    });
    expect(s.names()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(s.messages).toEqual(['PurchaseRequested']);
  });

  it('validation failure: REJECTED with the reason, nothing published', async () => {
    const s = stubs({ invalid: 'customer is blocked: fraud' });
    await withPurchase(s, async (h) => {
      expect(await h.result()).toMatchObject({ status: 'REJECTED', reason: 'customer is blocked: fraud' });
    });
    expect(s.names()).toEqual(['REJECTED']);
    expect(s.messages).toEqual([]);
  });

  it('fulfillment rejects: REJECTED with its reason, no compensation', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'REJECTED', reason: 'out of stock' });
      expect(await h.result()).toMatchObject({ status: 'REJECTED', reason: 'out of stock' });
    });
    expect(s.names()).toEqual(['PENDING', 'PROCESSING', 'REJECTED']);
    expect(s.messages).toEqual(['PurchaseRequested']);
  });

  it('no result before the deadline: EXPIRED, and PurchaseCancelled compensates', async () => {
    const s = stubs();
    await withPurchase(
      s,
      async (h) => {
        const before = await ts.env.currentTimeMs();
        expect(await h.result()).toMatchObject({ status: 'EXPIRED' });
        expect((await ts.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(2 * 60 * 60 * 1000 - 1_000);
      },
      2 * 60 * 60 * 1000,
    );
    expect(s.names()).toEqual(['PENDING', 'EXPIRED']);
    expect(s.messages).toEqual(['PurchaseRequested', 'PurchaseCancelled']);
  });

  it('cancel before fulfillment started: CANCELLED and compensated', async () => {
    const s = stubs();
    await withPurchase(s, async (h) => {
      await pendingReached(h, s);
      const state = await h.executeUpdate(cancelPurchaseUpdate, { args: [{ reason: 'changed my mind' }] });
      expect(state).toMatchObject({ status: 'CANCELLED', reason: 'changed my mind' });
    });
    expect(s.names()).toEqual(['PENDING', 'CANCELLED']);
    expect(s.messages).toEqual(['PurchaseRequested', 'PurchaseCancelled']);
  });

  it('cancel after fulfillment started is refused; the purchase completes', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'PROCESSING' });
      await expect(h.executeUpdate(cancelPurchaseUpdate, { args: [{}] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'COMPLETED' });
      expect(await h.result()).toMatchObject({ status: 'COMPLETED' });
    });
    expect(s.names()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(s.messages).toEqual(['PurchaseRequested']);
  });

  it('duplicate and late results are ignored: the first outcome wins, each status recorded once', async () => {
    const s = stubs();
    await withPurchase(s, async (h, id) => {
      await pendingReached(h, s);
      // Outcome before PROCESSING, twice, then a contradicting one: order on the timeline still holds.
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'COMPLETED' });
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'COMPLETED' });
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'REJECTED', reason: 'late' });
      await h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'PROCESSING' });
      expect(await h.result()).toMatchObject({ status: 'COMPLETED' });
      await expect(h.signal(fulfillmentResultSignal, { purchaseId: id, kind: 'REJECTED', reason: 'too late' })).rejects.toThrow();
    });
    expect(s.names()).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
  });
});
