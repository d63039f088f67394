import { describe, expect, it } from 'vitest';
import { SCOPES } from '../../platform/auth/jwt';
import { asUser, config, json, untouchedPool, untouchedTemporal } from '../../test/support/routes';
import { notificationRoutes, userRoutes } from './routes';

// In process, with collaborators that must not be touched (test/notifications.e2e.test.ts crosses
// the real servers): refusals at the edge and the cross-user rule before any read.
function app(userId = 'alice', scopes: string[] = []) {
  const db = untouchedPool();
  const temporal = untouchedTemporal();
  const deps = { config, mysql: () => db.pool, temporal };
  return { notifications: asUser(notificationRoutes(deps), userId, scopes), users: asUser(userRoutes(deps), userId, scopes), db, temporal };
}
const inAMinute = () => new Date(Date.now() + 60_000).toISOString();

describe('/notifications in process', () => {
  it('refuses an unknown channel with 400 naming it, scheduling nothing', async () => {
    const { notifications, db, temporal } = app();
    const res = await notifications.request(
      '/',
      json('POST', { notificationId: 'n-1', userId: 'alice', channel: 'pigeon', sendAt: inAMinute(), title: 't', body: 'b' }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'channel' } });
    expect(db.query).not.toHaveBeenCalled();
    expect(db.getConnection).not.toHaveBeenCalled();
    expect(temporal).not.toHaveBeenCalled();
  });

  it('refuses scheduling for another user without the scope (403 naming userId)', async () => {
    const { notifications, db } = app();
    const res = await notifications.request(
      '/',
      json('POST', { notificationId: 'n-2', userId: 'bob', channel: 'web', sendAt: inAMinute(), title: 't', body: 'b' }),
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { field: 'userId' } });
    expect(db.query).not.toHaveBeenCalled();
  });

  it('refuses an empty batch', async () => {
    const { notifications, db } = app();
    const res = await notifications.request('/batch', json('POST', { notifications: [] }));
    expect(res.status).toBe(400);
    expect(db.query).not.toHaveBeenCalled();
  });
});

describe('/users/:id/notification-preferences in process', () => {
  it("answers 404 for another user's preferences without reading them", async () => {
    const { users, db } = app('alice');
    const res = await users.request('/bob/notification-preferences');
    expect(res.status).toBe(404);
    expect(db.query).not.toHaveBeenCalled();
  });

  it('refuses bad preferences with 400 naming the field, saving nothing', async () => {
    const { users, db } = app('svc', [SCOPES.scheduleAnyNotification]);
    const res = await users.request(
      '/bob/notification-preferences',
      json('PUT', { timezone: 'Mars/Olympus', channels: ['web'], quietHours: null, mutedUntil: null }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'timezone' } });
    expect(db.query).not.toHaveBeenCalled();
  });
});
