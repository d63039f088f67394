import { describe, expect, it } from 'vitest';
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
});
