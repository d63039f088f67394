import { describe, expect, it, vi } from 'vitest';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import { relayDrainingKey } from '../../contracts/ledger';
import { asUser, config, json, log, untouchedPool, untouchedTemporal } from '../../test/support/routes';
import { ledgerRoutes } from './routes';

// In process, with collaborators that must not be touched (test/ledger.e2e.test.ts crosses the
// real servers): the edge refuses bad entries and queries before any write or signal.
function app() {
  const db = untouchedPool();
  const temporal = untouchedTemporal();
  const redis = vi.fn<() => Redis>(() => {
    throw new Error('redis must not be touched');
  });
  return { app: asUser(ledgerRoutes({ config, log, mysql: () => db.pool, temporal, redis }), 'merchant-1'), db, temporal, redis };
}
const entry = { type: 'credit', amount: '10.00', currency: 'BRL', description: 'sale', occurredAt: '2026-01-15' };

describe('/ledger in process', () => {
  it.each([
    [{ ...entry, amount: '10.001' }, 'amount'],
    [{ ...entry, amount: '0.00' }, 'amount'],
    [{ ...entry, currency: 'brl' }, 'currency'],
    [{ ...entry, type: 'refund' }, 'type'],
    [{ ...entry, occurredAt: '15/01/2026' }, 'occurredAt'],
  ])('refuses %j with 400 naming %s, writing nothing and waking nothing', async (body, field) => {
    const { app: a, db, temporal, redis } = app();
    const res = await a.request('/entries', json('POST', body));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field } });
    expect(db.query).not.toHaveBeenCalled();
    expect(db.getConnection).not.toHaveBeenCalled();
    expect(temporal).not.toHaveBeenCalled();
    expect(redis).not.toHaveBeenCalled();
  });

  it('refuses a misspelt field with 422 instead of dropping it', async () => {
    const { app: a, db } = app();
    const res = await a.request('/entries', json('POST', { ...entry, descripton: 'x' }));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: 'unknown_field', field: 'descripton' } });
    expect(db.getConnection).not.toHaveBeenCalled();
  });

  it('needs a date to list entries; a balance range with from after to is empty (not refused), without a query', async () => {
    const { app: a, db } = app();
    const list = await a.request('/entries');
    expect(list.status).toBe(400);
    expect(await list.json()).toMatchObject({ error: { field: 'date' } });
    // Each balance parameter is optional on its own, as the OpenAPI document says (issue #32: `to`
    // without `from` was refused although the document allowed it).
    const range = await a.request('/balances/daily?from=2026-02-01&to=2026-01-01');
    expect(range.status).toBe(200);
    expect(await range.json()).toMatchObject({ from: '2026-02-01', to: '2026-01-01', days: [], nextFrom: null });
    expect(db.query).not.toHaveBeenCalled();
  });

  it('answers a balance range of any length in pages of 366 days, and to alone is that day', async () => {
    const pool = { query: vi.fn(() => Promise.resolve([[], []])), getConnection: vi.fn() };
    const routes = ledgerRoutes({ config, log, mysql: () => pool as unknown as Pool, temporal: vi.fn(), redis: vi.fn() });
    const a = asUser(routes, 'merchant-1');
    const long = await a.request('/balances/daily?from=2020-01-01&to=2029-12-31');
    expect(long.status).toBe(200);
    expect(await long.json()).toMatchObject({ from: '2020-01-01', to: '2020-12-31', nextFrom: '2021-01-01' });
    const to = await a.request('/balances/daily?to=2026-03-04');
    expect(await to.json()).toMatchObject({ from: '2026-03-04', to: '2026-03-04', nextFrom: null });
  });

  it.each([
    [true, 'sends no wake signal while the relay drains (its hint is in Redis)'],
    [false, 'wakes the relay when it is not draining'],
  ])('after a post is stored: draining %s %s', async (draining) => {
    const pool = { query: vi.fn(() => Promise.resolve([{ affectedRows: 1 }, []])), getConnection: vi.fn() };
    const exists = vi.fn(() => Promise.resolve(draining ? 1 : 0));
    const signalWithStart = vi.fn(() => Promise.resolve({}));
    const temporal = vi.fn(() => Promise.resolve({ workflow: { signalWithStart } } as unknown as Client));
    const routes = ledgerRoutes({ config, log, mysql: () => pool as unknown as Pool, temporal, redis: () => ({ exists }) as unknown as Redis });
    const res = await asUser(routes, 'merchant-1').request('/entries', json('POST', entry));
    expect(res.status).toBe(201);
    expect(pool.query).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(exists).toHaveBeenCalledWith(relayDrainingKey(config.TEMPORAL_TASK_QUEUE)));
    if (draining) {
      // The wake's continuation after exists() has run: microtasks drain before the next macrotask.
      await new Promise((r) => setImmediate(r));
      expect(temporal).not.toHaveBeenCalled();
    } else await vi.waitFor(() => expect(signalWithStart).toHaveBeenCalledOnce());
  });
});
