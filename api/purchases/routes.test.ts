import { describe, expect, it, vi } from 'vitest';
import type { Pool } from 'mysql2/promise';
import type { Client } from '@temporalio/client';
import { asUser, config, json, log, untouchedPool, untouchedTemporal } from '../../test/support/routes';
import { purchaseRoutes } from './routes';

// In process, with collaborators that must not be touched: bad input is refused at the edge
// (test/purchases.e2e.test.ts crosses the real servers).
function app() {
  const db = untouchedPool();
  const temporal = untouchedTemporal();
  const routes = purchaseRoutes({ config, log, mysql: () => db.pool, temporal, lifecycle: { add: (_name, r) => r } });
  return { app: asUser(routes), db, temporal };
}
const purchase = { productId: 'gift-card-100', quantity: 1, installments: 1 };

/** A purchase row of alice's as MySQL returns it, and routes over it with a Temporal client whose Update does `executeUpdate`. */
function overStoredPurchase(id: string, status: () => string, executeUpdate: ReturnType<typeof vi.fn>) {
  const row = () => ({
    purchase_id: id,
    user_id: 'alice',
    product_id: 'gift-card-100',
    quantity: 1,
    installments: 1,
    amount_cents: 10000,
    total_cents: 10000,
    installment_cents: 10000,
    currency: 'BRL',
    monthly_rate_bp: 0,
    status: status(),
    reason: null,
    created_at: new Date(),
    traceparent: null,
  });
  const query = vi.fn(async (sql: string) => [sql.includes('FROM purchases p') ? [row()] : []]);
  const client = { workflow: { getHandle: () => ({ executeUpdate }) } } as unknown as Client;
  return asUser(
    purchaseRoutes({ config, log, mysql: () => ({ query }) as unknown as Pool, temporal: async () => client, lifecycle: { add: (_name, r) => r } }),
  );
}
/** What the server answers when it drops an Update with its workflow task. */
const abortedUpdate = () =>
  new Error('Workflow Update failed', {
    cause: Object.assign(new Error('9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.'), {
      code: 9,
      details: 'Unable to perform workflow execution update due to unexpected workflow task failure.',
      metadata: {},
    }),
  });

describe('/purchases in process', () => {
  it('refuses a contract without an Idempotency-Key, touching nothing', async () => {
    const { app: a, db, temporal } = app();
    const res = await a.request('/', json('POST', purchase));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'Idempotency-Key' } });
    expect(db.query).not.toHaveBeenCalled();
    expect(db.getConnection).not.toHaveBeenCalled();
    expect(temporal).not.toHaveBeenCalled();
  });

  it('refuses a bad quantity with 400 naming it, before any query', async () => {
    const { app: a, db } = app();
    const res = await a.request('/', json('POST', { ...purchase, quantity: 0 }, { 'idempotency-key': 'k-1' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'quantity' } });
    expect(db.query).not.toHaveBeenCalled();
    expect(db.getConnection).not.toHaveBeenCalled();
  });

  it('refuses an unknown body field with 422 naming it, on simulate too', async () => {
    const { app: a, db } = app();
    for (const [path, headers] of [
      ['/', { 'idempotency-key': 'k-2' }],
      ['/simulate', {}],
    ] as const) {
      const res = await a.request(path, json('POST', { ...purchase, quantty: 2 }, headers));
      expect(res.status, path).toBe(422);
      expect(await res.json()).toMatchObject({ error: { code: 'unknown_field', field: 'quantty' } });
    }
    expect(db.query).not.toHaveBeenCalled();
  });

  it('answers 404 for a purchase id that is not a uuid, reading and cancelling, without a query', async () => {
    const { app: a, db, temporal } = app();
    for (const res of [await a.request('/not-a-uuid'), await a.request('/not-a-uuid/cancel', json('POST', {}))]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    expect(db.query).not.toHaveBeenCalled();
    expect(temporal).not.toHaveBeenCalled();
  });

  it('refuses a list limit out of range, naming limit', async () => {
    const { app: a, db } = app();
    const res = await a.request('/?limit=1000');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'limit' } });
    expect(db.query).not.toHaveBeenCalled();
  });

  it('a cancel Update the server aborted with its workflow task (9 FAILED_PRECONDITION) is asked again, then answered from the store: 200 CANCELLED, not a 500', async () => {
    // The soak's race: the task carrying the Update ran the cancel, then failed (a signal arrived);
    // the server dropped the Update. Asked again, the run has ended; MySQL says CANCELLED.
    const id = '0b6f9a52-4a8e-4c59-9a57-5d1a0f6a1e01';
    let status = 'PENDING';
    const { WorkflowNotFoundError } = await import('@temporalio/client');
    const executeUpdate = vi
      .fn()
      .mockImplementationOnce(() => {
        status = 'CANCELLED';
        return Promise.reject(abortedUpdate());
      })
      .mockImplementation(() => Promise.reject(new WorkflowNotFoundError('workflow execution already completed', 'w', undefined)));
    const res = await overStoredPurchase(id, () => status, executeUpdate).request(`/${id}/cancel`, json('POST', {}));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ purchaseId: id, status: 'CANCELLED' });
    expect(executeUpdate).toHaveBeenCalledTimes(2);
  });

  it('an Update aborted every time answers 503 with Retry-After, naming Temporal', async () => {
    const id = '0b6f9a52-4a8e-4c59-9a57-5d1a0f6a1e02';
    const executeUpdate = vi.fn(() => Promise.reject(abortedUpdate()));
    const res = await overStoredPurchase(id, () => 'PENDING', executeUpdate).request(`/${id}/cancel`, json('POST', {}));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(await res.json()).toMatchObject({ error: { code: 'dependency_unavailable', dependency: 'temporal' } });
    expect(executeUpdate).toHaveBeenCalledTimes(4);
  });
});
