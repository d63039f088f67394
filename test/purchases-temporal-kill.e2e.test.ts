import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { startFulfillment, startPurchaseResults } from '../consumers/purchases';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { startWorker } from '../worker';
import { eventually, ownEnvironment, testContext, uniqueId } from './support/context';
import { testTemporalServer, type TestTemporalServer } from './support/temporal-server';

// Accepted means done, whatever Temporal does: purchases posted in a burst while a Temporal server
// of this file's own (the same CLI dev server, its own ports and SQLite file) is killed with -9 and
// restarted. Every POST answers 202; every accepted purchase ends COMPLETED through exactly one run
// (started by the API at once or by the relay once the server is back), contracted once, with each
// status stamped once. An environment of its own, so no other file's consumers take its messages.
describe('purchases: Temporal killed -9 mid-burst', () => {
  let temporal: TestTemporalServer;
  let own: ReturnType<typeof ownEnvironment>;
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    temporal = await testTemporalServer('purchase-kill');
    await temporal.start();
    own = ownEnvironment();
    ctx = testContext({
      TIDINGS_ENV: own.env,
      TEMPORAL_ADDRESS: temporal.address,
      PURCHASE_RELAY_ON_START: 'true',
      PURCHASE_RELAY_IDLE_MS: '500',
      PURCHASE_RESULT_TIMEOUT_MS: '180000',
      SQS_WAIT_SECONDS: '1',
    });
    app = createApiApp(ctx);
    await startWorker(ctx);
    const opts = { waitSeconds: 1, retryDelaySeconds: 1 };
    for (const c of [await startFulfillment(ctx, opts), await startPurchaseResults(ctx, opts)]) stops.push(() => c.stop());
  }, 120_000);
  afterAll(async () => {
    for (const stop of stops) await stop();
    await ctx?.lifecycle.close();
    own?.teardown();
    await temporal?.destroy();
  }, 60_000);

  it('every purchase accepted during the burst completes through exactly one run; none is lost or started twice', async () => {
    const buyer = uniqueId('buyer');
    const token = await signToken(ctx.config, buyer);
    const post = async (i: number) => {
      const res = await app.request('/purchases', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `burst-${i}` },
        body: JSON.stringify({ productId: 'gift-card-100', quantity: 1, installments: 1 }),
      });
      expect(res.status, await res.clone().text()).toBe(202);
      return ((await res.json()) as { purchaseId: string }).purchaseId;
    };
    const ids: string[] = [];
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < 36; i++) {
      if (i === 12) await temporal.kill(); // mid-burst, with runs in flight
      if (i === 24) restarted = temporal.start();
      ids.push(...(await Promise.all([post(2 * i), post(2 * i + 1)])));
      await new Promise((r) => setTimeout(r, 100)); // a burst spread over seconds: time passing is the point
    }
    await restarted;
    expect(new Set(ids).size).toBe(72);

    const statusCounts = async () => {
      const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT status, COUNT(*) AS n FROM purchases WHERE user_id = ? GROUP BY status', [buyer]);
      return Object.fromEntries(rows.map((r) => [String(r.status), Number(r.n)]));
    };
    await eventually(async () => (await statusCounts()).COMPLETED === 72, 150_000, 500).catch(async (err: unknown) => {
      throw new Error(`not every purchase COMPLETED: ${JSON.stringify(await statusCounts())}`, { cause: err });
    });

    // One run per purchase, on the killed-and-restarted server, each closed as COMPLETED.
    const client = await ctx.temporal();
    // A run closes just after its COMPLETED stamp (the stamp is its last step), and visibility
    // follows the close: poll until the list shows every run closed.
    const runs = async () => {
      const found: { id: string; status: string }[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowType = 'purchase' AND CustomerId = '${buyer}'` }))
        found.push({ id: wf.workflowId, status: wf.status.name });
      return found;
    };
    const listed = await eventually(
      async () => {
        const found = await runs();
        return found.length === ids.length && found.every((r) => r.status !== 'RUNNING') && found;
      },
      30_000,
      500,
    );
    expect(listed.filter((r) => r.status !== 'COMPLETED')).toEqual([]);
    expect(listed.map((r) => r.id).sort()).toEqual(ids.map((id) => `${own.env}.purchase-${id}`).sort());
    // Contracted once each, every status stamped once, nothing left in the outbox.
    const [contracts] = await ctx
      .mysql()
      .query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM purchase_contracts WHERE purchase_id IN (?) AND status = 'ACTIVE'", [ids]);
    expect(Number(contracts[0]!.n)).toBe(72);
    const [stamps] = await ctx
      .mysql()
      .query<RowDataPacket[]>('SELECT status, COUNT(*) AS n FROM purchase_timeline WHERE purchase_id IN (?) GROUP BY status', [ids]);
    expect(Object.fromEntries(stamps.map((r) => [String(r.status), Number(r.n)]))).toEqual({ RECEIVED: 72, PENDING: 72, PROCESSING: 72, COMPLETED: 72 });
    const [outbox] = await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM purchase_outbox WHERE purchase_id IN (?)', [ids]);
    expect(Number(outbox[0]!.n)).toBe(0);
  }, 240_000);
});
