import type { Producer } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { Publisher } from '../../gateway/publisher';
import type { Lifecycle } from '../../platform/lifecycle';
import { asUser, config, json, log, untouchedPool, untouchedTemporal } from '../../test/support/routes';
import { conversationRoutes } from './routes';

// In process, with collaborators that must not be touched (test/messages.e2e.test.ts crosses the
// real servers): bad input and unknown conversations are answered before any write or send.
function app() {
  const db = untouchedPool();
  const temporal = untouchedTemporal();
  const producer = vi.fn(() => Promise.reject(new Error('unexpected Kafka call')) as Promise<Producer>);
  const publisher = vi.fn(() => ({}) as Publisher);
  const add = vi.fn();
  const lifecycle = { add: ((_name: string, value: unknown) => (add(_name, value), value)) as Pick<Lifecycle, 'add'>['add'] };
  const routes = conversationRoutes({ config, log, mysql: () => db.pool, temporal, producer, publisher, lifecycle });
  return { app: asUser(routes), db, temporal, producer, add };
}

describe('/conversations in process', () => {
  it('registers its message dispatcher for a drain at shutdown', () => {
    expect(app().add).toHaveBeenCalledWith('message dispatcher', expect.anything());
  });

  it('refuses a conversation without members, naming members, creating nothing', async () => {
    const { app: a, db } = app();
    const res = await a.request('/', json('POST', { organizationId: 'org-1', channel: 'whatsapp', members: [] }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'members' } });
    expect(db.query).not.toHaveBeenCalled();
    expect(db.getConnection).not.toHaveBeenCalled();
  });

  it('refuses a conversation with only yourself in it (422 naming members), creating nothing', async () => {
    const { app: a, db } = app();
    for (const members of [['alice'], ['alice', 'alice']]) {
      const res = await a.request('/', json('POST', { organizationId: 'org-1', channel: 'whatsapp', members }));
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({
        error: { code: 'no_other_member', field: 'members', message: expect.stringContaining('someone other than yourself') as unknown },
      });
    }
    expect(db.query).not.toHaveBeenCalled();
    expect(db.getConnection).not.toHaveBeenCalled();
  });

  it('refuses an unknown channel, naming channel', async () => {
    const { app: a } = app();
    const res = await a.request('/', json('POST', { organizationId: 'org-1', channel: 'fax', members: ['bob'] }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'channel' } });
  });

  it('answers 404 for a conversation id that is not a uuid, sending nothing', async () => {
    const { app: a, db, producer, temporal } = app();
    const res = await a.request('/nope/messages', json('POST', { clientMessageId: 'c1', text: 'hi' }));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found', field: 'id' } });
    expect(db.query).not.toHaveBeenCalled();
    expect(producer).not.toHaveBeenCalled();
    expect(temporal).not.toHaveBeenCalled();
  });
});
