import { describe, expect, it } from 'vitest';
import { asUser, config, json, untouchedPool, untouchedTemporal } from '../../test/support/routes';
import { eventRoutes } from './routes';

// In process, with collaborators that must not be touched: bad input is refused at the edge
// (test/events.e2e.test.ts crosses the real servers).
function app() {
  const db = untouchedPool();
  const temporal = untouchedTemporal();
  return { app: asUser(eventRoutes({ config, mysql: () => db.pool, temporal })), db, temporal };
}

describe('/events in process', () => {
  it('refuses a bad type with 400 naming the field, touching neither MySQL nor Temporal', async () => {
    const { app: a, db, temporal } = app();
    const res = await a.request('/', json('POST', { type: 'has spaces', payload: {} }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'type' } });
    expect(db.query).not.toHaveBeenCalled();
    expect(db.getConnection).not.toHaveBeenCalled();
    expect(temporal).not.toHaveBeenCalled();
  });

  it('refuses an unknown body field with 422 naming it', async () => {
    const { app: a, db } = app();
    const res = await a.request('/', json('POST', { type: 'order.placed', payload: {}, paylod: {} }));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: 'unknown_field', field: 'paylod' } });
    expect(db.getConnection).not.toHaveBeenCalled();
  });

  it('refuses a payload over the limit, naming payload', async () => {
    const { app: a } = app();
    const res = await a.request('/', json('POST', { type: 'big', payload: { blob: 'x'.repeat(70 * 1024) } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'payload' } });
  });

  it('answers 404 for an id that is not a uuid without a query', async () => {
    const { app: a, db } = app();
    const res = await a.request('/not-a-uuid');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found', field: 'id' } });
    expect(db.query).not.toHaveBeenCalled();
  });

  it('refuses a list limit out of range, naming limit', async () => {
    const { app: a, db } = app();
    const res = await a.request('/?limit=1000');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'limit' } });
    expect(db.query).not.toHaveBeenCalled();
  });
});
