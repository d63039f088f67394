import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { DEFAULT_AUTHORIZERS } from '../gateway/authorize';
import { conversationChannel, ledgerChannel, userChannel } from '../contracts/channels';
import { SCOPES, signToken } from '../platform/auth/jwt';
import { channelAuthorizers } from '../runtime/channels';
import type { Context } from '../runtime/context';
import { flushTracing } from '../platform/tracing';
import { eventually, testContext, uniqueId } from './support/context';
import { gatewayFixture } from './support/gateway';

// User B against user A's resources, journey by journey, over the real API, MySQL, Redis and
// gateway: every read, list, change and delete of A's resource by B answers 404 (an id of A's is
// indistinguishable from an unknown one, so ids cannot be probed), acting for A without the service
// scope is 403, a subscribe to A's channel is an `error` frame, and afterwards A's resources are
// exactly as they were. The last two tests check that every HTTP route of the app and every channel
// namespace of the gateway was tried here: a new route or namespace fails them until it has a case.

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

/**
 * Routes with no user's data behind them, and why: nothing to try B against. Business routes
 * (behind the JWT) are never listed here; each must be called by B below.
 */
const PUBLIC_ROUTES: Record<string, string> = {
  'GET /health': 'liveness',
  'GET /ready': 'readiness of the servers',
  'GET /metrics': 'Prometheus text, no per-user labels',
  'POST /ping': 'operations probe through the worker',
  'GET /': 'the web app shell',
  'GET /app.js': 'the web app bundle',
  'GET /app.js.map': 'its source map',
  'GET /app.css': 'its style sheet',
  'GET /config.json': 'public gateway and Web UI addresses',
  'POST /dev/token': 'development sign-in, off unless DEV_SIGN_IN=true (checked below)',
  'GET /openapi.json': 'the API description, the same for everyone',
  'GET /docs': 'the page rendering it',
};

describe('cross-user: B against A, on every route and channel', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  /** "METHOD /pattern" of every route B has called. */
  const triedByB = new Set<string>();
  const day = new Date().toISOString().slice(0, 10);
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

  beforeAll(() => {
    ctx = testContext({ API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' });
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });

  /** The app's own routes (not middleware), as Hono registered them. */
  const routes = () => app.routes.filter((r) => r.method !== 'ALL');
  /** The route pattern a request lands on (the most specific match). */
  const routeOf = (method: string, url: string): string | undefined => {
    const path = url.split('?')[0]!;
    const matches = routes().filter((r) => r.method === method && new RegExp(`^${r.path.replace(/:[^/]+/g, '[^/]+')}$`).test(path));
    matches.sort((a, b) => (a.path.match(/:/g)?.length ?? 0) - (b.path.match(/:/g)?.length ?? 0));
    return matches[0] && `${method} ${matches[0].path}`;
  };

  /** A caller with a token for `user` (and extra claims); B's calls are recorded as tried. */
  const caller = async (user: string, { claims = {}, intruder = false }: { claims?: Json; intruder?: boolean } = {}) => {
    const token = await signToken(ctx.config, user, { claims });
    return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
      if (intruder) {
        const route = routeOf(method, url);
        if (!route) throw new Error(`${method} ${url} is no route of the app`);
        triedByB.add(route);
      }
      const res = await app.request(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
    };
  };
  /** A and B, fresh for each journey so every list B sees must be empty of A's. */
  /** A user others can start a conversation with (one who has called the API). */
  const known = async (user = uniqueId('f')) => {
    expect((await (await caller(user))('GET', '/conversations')).status).toBe(200);
    return user;
  };
  const pair = async () => {
    const [aId, bId] = [uniqueId('a'), uniqueId('b')];
    return { aId, bId, a: await caller(aId), b: await caller(bId, { intruder: true }) };
  };
  /** B's 404 for A's id has the shape of a 404 for an id that does not exist: nothing to probe. */
  const expectNotFound = (answer: Answer, unknown?: Answer) => {
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: 'not_found' } });
    if (unknown) expect(Object.keys(answer.body.error as Json).sort()).toEqual(Object.keys(unknown.body.error as Json).sort());
  };

  it('purchases: B cannot read, cancel, list or page into A’s purchases, and A’s Idempotency-Key is not B’s', async () => {
    const { a, b } = await pair();
    const body = { productId: 'gift-card-100', quantity: 1, installments: 1 };
    const key = uniqueId('k');
    const first = await a('POST', '/purchases', body, { 'idempotency-key': key });
    const second = await a('POST', '/purchases', body, { 'idempotency-key': uniqueId('k') });
    expect([first.status, second.status]).toEqual([202, 202]);
    const id = String(first.body.purchaseId);
    const page = await a('GET', '/purchases?limit=1');
    expect(page.body.nextCursor).toEqual(expect.any(String));

    const unknown = await b('GET', '/purchases/00000000-0000-4000-8000-000000000000');
    expectNotFound(await b('GET', `/purchases/${id}`), unknown);
    expectNotFound(await b('POST', `/purchases/${id}/cancel`, { reason: 'not mine' }), unknown);
    expect((await b('GET', '/purchases')).body).toEqual({ purchases: [], nextCursor: null });
    expect((await b('GET', `/purchases?cursor=${String(page.body.nextCursor)}`)).body.purchases).toEqual([]);
    // Keys are per user: the same key and body from B is B's own new purchase, not a replay of A's.
    const bs = await b('POST', '/purchases', body, { 'idempotency-key': key });
    expect(bs.status).toBe(202);
    expect(bs.headers.get('idempotent-replayed')).toBeNull();
    expect(bs.body.purchaseId).not.toBe(id);
    // Shared, user-free answers: the quote and the catalogue are the same for anyone.
    expect((await b('POST', '/purchases/simulate', body)).body).toEqual((await a('POST', '/purchases/simulate', body)).body);
    expect((await b('GET', '/products')).body).toEqual((await a('GET', '/products')).body);

    const mine = await a('GET', `/purchases/${id}`);
    expect(mine.status).toBe(200);
    // B's cancel changed nothing: A's purchase went on (its dispatch made it PENDING; no fulfillment runs here).
    expect(['RECEIVED', 'PENDING']).toContain(mine.body.status);
    expect(((await a('GET', '/purchases')).body.purchases as Json[]).map((p) => p.purchaseId).sort()).toEqual([id, second.body.purchaseId].sort());
  });

  it('events: B cannot read A’s trail, list or filter A’s events, and A’s Idempotency-Key is not B’s', async () => {
    const { a, b } = await pair();
    const type = `cross.${uniqueId('t')}`;
    const key = uniqueId('k');
    const made = await a('POST', '/events', { type, payload: { secret: 1 } }, { 'idempotency-key': key });
    expect(made.status).toBe(202);
    const id = String(made.body.eventId);

    expectNotFound(await b('GET', `/events/${id}`), await b('GET', '/events/00000000-0000-4000-8000-000000000000'));
    expect((await b('GET', '/events')).body).toEqual({ events: [] });
    expect((await b('GET', `/events?type=${type}`)).body).toEqual({ events: [] });
    const bs = await b('POST', '/events', { type, payload: { secret: 1 } }, { 'idempotency-key': key });
    expect(bs.status).toBe(202);
    expect(bs.headers.get('idempotent-replayed')).toBeNull();
    expect(bs.body.eventId).not.toBe(id);

    expect((await a('GET', `/events/${id}`)).status).toBe(200);
    expect(((await a('GET', `/events?type=${type}`)).body.events as Json[]).map((e) => e.eventId)).toEqual([id]);
  });

  it('ledger: B sees none of A’s entries or balances (by day, range or cursor), and A’s Idempotency-Key is not B’s', async () => {
    const { aId, bId, a, b } = await pair();
    const entry = { type: 'credit', amount: '5.00', currency: 'BRL', description: 'sale', occurredAt: day };
    const key = uniqueId('k');
    const made = await a('POST', '/ledger/entries', entry, { 'idempotency-key': key });
    expect(made.status).toBe(201);
    const id = String(made.body.entryId);

    expect((await b('GET', `/ledger/entries?date=${day}`)).body).toEqual({ entries: [], nextCursor: null });
    expect((await b('GET', `/ledger/entries?date=${day}&cursor=00000000-0000-4000-8000-000000000000`)).body.entries).toEqual([]);
    const balances = await b('GET', `/ledger/balances/daily?date=${day}`);
    expect(balances.body).toMatchObject({ merchantId: bId, days: [] });
    expect((await b('GET', `/ledger/balances/daily?from=${day}&to=${day}`)).body).toMatchObject({ merchantId: bId, days: [] });
    const bs = await b('POST', '/ledger/entries', entry, { 'idempotency-key': key });
    expect(bs.status).toBe(201);
    expect(bs.headers.get('idempotent-replayed')).toBeNull();
    expect(bs.body).toMatchObject({ merchantId: bId });
    expect(bs.body.entryId).not.toBe(id);

    const mine = await a('GET', `/ledger/entries?date=${day}`);
    expect(mine.body.entries).toEqual([made.body]);
    expect((mine.body.entries as Json[])[0]).toMatchObject({ merchantId: aId, amount: '5.00' });
  });

  it('notifications: B cannot read, list, reschedule, cancel, schedule for A or take A’s id; only the service scope acts for A', async () => {
    const { aId, bId, a, b } = await pair();
    expect((await a('PUT', `/users/${aId}/notification-preferences`, { timezone: 'UTC', channels: ['web'] })).status).toBe(200);
    const id = uniqueId('n');
    const sendAt = inAnHour();
    const scheduled = await a('POST', '/notifications', { notificationId: id, userId: aId, channel: 'web', sendAt, title: 't', body: 'b' });
    expect(scheduled.status).toBe(202);
    const before = await a('GET', `/notifications/${id}`);
    expect(before.body).toMatchObject({ userId: aId, status: 'SCHEDULED', sendAt });

    const unknown = await b('GET', `/notifications/${uniqueId('none')}`);
    expectNotFound(await b('GET', `/notifications/${id}`), unknown);
    expectNotFound(await b('PATCH', `/notifications/${id}`, { sendAt: inAnHour() }), unknown);
    expectNotFound(await b('DELETE', `/notifications/${id}`), unknown);
    expect((await b('GET', '/notifications')).body).toEqual({ notifications: [], nextCursor: null });
    expect((await b('GET', '/notifications?status=SCHEDULED')).body).toEqual({ notifications: [], nextCursor: null });
    const listA = await b('GET', `/notifications?userId=${aId}`);
    expect(listA.status).toBe(403);
    expect(listA.body).toMatchObject({ error: { code: 'forbidden', field: 'userId' } });

    // Scheduling for A is a service's act: 403 naming the field, for one or a batch.
    const forA = { notificationId: uniqueId('n'), userId: aId, channel: 'web', sendAt: inAnHour(), title: 'spam', body: 'spam' };
    expect(await b('POST', '/notifications', forA)).toMatchObject({ status: 403, body: { error: { code: 'forbidden', field: 'userId' } } });
    expect(await b('POST', '/notifications/batch', { notifications: [forA] })).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', field: 'notifications.0.userId' } },
    });
    // A scope is a grant by name: another scope, or the right one not as a space-separated string, is none.
    for (const claims of [{ scope: 'notifications:read' }, { scope: [SCOPES.scheduleAnyNotification] }, { scp: SCOPES.scheduleAnyNotification }]) {
      const other = await caller(bId, { claims });
      expect((await other('POST', '/notifications', { ...forA, notificationId: uniqueId('n') })).status, JSON.stringify(claims)).toBe(403);
      expect((await other('GET', `/notifications/${id}`)).status).toBe(404);
    }
    // A's id for B's own notification: taken, and nothing of A's in the answer.
    const reuse = await b('POST', '/notifications', { notificationId: id, userId: bId, channel: 'web', sendAt: inAnHour(), title: 't', body: 'b' });
    expect(reuse).toMatchObject({ status: 409, body: { error: { code: 'id_taken', field: 'notificationId' } } });
    expect(JSON.stringify(reuse.body)).not.toContain(aId);
    const reuseBatch = await b('POST', '/notifications/batch', {
      notifications: [{ notificationId: id, userId: bId, channel: 'web', sendAt: inAnHour(), title: 't', body: 'b' }],
    });
    expect(reuseBatch).toMatchObject({ status: 409, body: { error: { code: 'id_taken' } } });
    expect(JSON.stringify(reuseBatch.body)).not.toContain(aId);

    // Nothing changed.
    expect((await a('GET', `/notifications/${id}`)).body).toEqual(before.body);
    expect(((await a('GET', '/notifications')).body.notifications as Json[]).map((n) => n.notificationId)).toEqual([id]);

    // The positive control: a service token schedules for A, reads, reschedules and cancels it.
    const service = await caller(uniqueId('svc'), { claims: { scope: `other ${SCOPES.scheduleAnyNotification}` } });
    const sid = uniqueId('n');
    expect(
      (await service('POST', '/notifications', { notificationId: sid, userId: aId, channel: 'web', sendAt: inAnHour(), title: 't', body: 'b' })).status,
    ).toBe(202);
    expect((await service('GET', `/notifications?userId=${aId}`)).status).toBe(200);
    expect((await service('PATCH', `/notifications/${sid}`, { sendAt: inAnHour() })).status).toBe(200);
    expect((await service('DELETE', `/notifications/${sid}`)).body).toMatchObject({ status: 'CANCELLED' });
    expect((await a('GET', `/notifications/${sid}`)).body).toMatchObject({ userId: aId, status: 'CANCELLED' });
  });

  it('notifications: A and B racing for one new id: whoever’s row it becomes, the other gets 409 and never its status', async () => {
    const { aId, bId, a, b } = await pair();
    const id = uniqueId('n');
    const send = (call: typeof a, userId: string) =>
      call('POST', '/notifications', { notificationId: id, userId, channel: 'web', sendAt: inAnHour(), title: 't', body: 'b' });
    const answers = await Promise.all(Array.from({ length: 10 }, () => [send(a, aId), send(b, bId)]).flat());
    const owner = (await a('GET', `/notifications/${id}`)).status === 200 ? 'a' : 'b';
    answers.forEach((answer, i) => {
      const mine = (i % 2 === 0 ? 'a' : 'b') === owner;
      if (mine) expect(answer.status).toBe(202);
      else expect(answer).toMatchObject({ status: 409, body: { error: { code: 'id_taken' } } });
    });
  });

  it('preferences: B can neither read nor replace A’s (404, as for a user that does not exist)', async () => {
    const { aId, a, b } = await pair();
    const prefs = { timezone: 'UTC', channels: ['web', 'email'], quietHours: { start: '22:00', end: '07:00' } };
    expect((await a('PUT', `/users/${aId}/notification-preferences`, prefs)).status).toBe(200);
    const unknown = await b('GET', `/users/${uniqueId('nobody')}/notification-preferences`);
    expectNotFound(await b('GET', `/users/${aId}/notification-preferences`), unknown);
    expectNotFound(await b('PUT', `/users/${aId}/notification-preferences`, { timezone: 'Asia/Tokyo', channels: [] }), unknown);
    expect((await a('GET', `/users/${aId}/notification-preferences`)).body).toMatchObject({
      timezone: 'UTC',
      channels: expect.arrayContaining(prefs.channels) as unknown,
      quietHours: prefs.quietHours,
    });
  });

  it('conversations: a non-member cannot read, list, post to or mark read A’s conversation, nor mark A’s message read from elsewhere', async () => {
    const { aId, bId, a, b } = await pair();
    const friend = await known();
    const conv = await a('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [friend] });
    const id = String(conv.body.conversationId);
    const sent = await a('POST', `/conversations/${id}/messages`, { clientMessageId: 'm1', text: 'private' });
    expect(sent.status).toBe(202);
    const messageId = String(sent.body.messageId);

    const unknown = await b('GET', '/conversations/00000000-0000-4000-8000-000000000000');
    expectNotFound(await b('GET', `/conversations/${id}`), unknown);
    expectNotFound(await b('GET', `/conversations/${id}/messages`), unknown);
    expectNotFound(await b('POST', `/conversations/${id}/messages`, { clientMessageId: 'm1', text: 'intruding' }), unknown);
    expectNotFound(await b('POST', `/conversations/${id}/read`, { upToMessageId: messageId }), unknown);
    // B's own conversation is B's; A's message id is no message of it.
    const own = await b('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [friend] });
    expect(own.status).toBe(201);
    expect(own.body.members).toContain(bId);
    const read = await b('POST', `/conversations/${String(own.body.conversationId)}/read`, { upToMessageId: messageId });
    expect(read).toMatchObject({ status: 409, body: { error: { code: 'unknown_message', field: 'upToMessageId' } } });
    expect(((await b('GET', '/conversations')).body.conversations as Json[]).map((c) => c.conversationId)).toEqual([own.body.conversationId]);
    // "My conversations with X" (`?with=`) finds B's own with the same friend, never A's, and none with A.
    const shared = async (as: typeof a, other: string) =>
      ((await as('GET', `/conversations?with=${other}`)).body.conversations as Json[]).map((c) => c.conversationId);
    expect(await shared(b, friend)).toEqual([own.body.conversationId]);
    expect(await shared(b, aId)).toEqual([]);
    expect(await shared(a, friend)).toEqual([id]);
    // The list shows A's latest message to A only, with who is in it.
    const [mine] = (await a('GET', '/conversations')).body.conversations as Json[];
    expect(mine).toMatchObject({ conversationId: id, members: [aId, friend].sort(), lastMessage: { text: 'private', senderId: aId } });
    expect(((await b('GET', '/conversations')).body.conversations as Json[])[0]).toMatchObject({ lastMessage: null });

    const messages = (await a('GET', `/conversations/${id}/messages`)).body.messages as Json[];
    expect(messages.map((m) => [m.messageId, m.text, m.status])).toEqual([[messageId, 'private', 'PENDING']]);
    expect((await a('GET', `/conversations/${id}`)).body.members).not.toContain(bId);
  });

  it('conversations: each member hears of a new conversation and its messages on their own channel, B (no member) nothing; self-only and unknown members are refused', async () => {
    const fx = gatewayFixture();
    try {
      const { aId, bId, a, b } = await pair();
      const friend = await known();
      expect((await b('GET', '/conversations')).status).toBe(200);
      const gw = await fx.instance(channelAuthorizers(ctx));
      const connect = async (u: string) => {
        const c = await fx.connect(gw.url, await fx.token(u));
        await c.next('subscribed');
        return c;
      };
      const [aClient, friendClient, bClient] = [await connect(aId), await connect(friend), await connect(bId)];

      const conv = await a('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [friend] });
      expect(conv.status).toBe(201);
      const id = String(conv.body.conversationId);
      for (const [c, u] of [
        [aClient, aId],
        [friendClient, friend],
      ] as const) {
        const e = await c.next('event', userChannel(u));
        expect(e).toMatchObject({ event: 'conversation.updated', data: { conversationId: id, reason: 'created', members: [aId, friend] } });
      }
      expect((await a('POST', `/conversations/${id}/messages`, { clientMessageId: 'm1', text: 'just us' })).status).toBe(202);
      const moved = await friendClient.next('event', userChannel(friend));
      expect(moved).toMatchObject({
        event: 'conversation.updated',
        data: { conversationId: id, reason: 'message', lastMessage: { text: 'just us', senderId: aId } },
      });
      // The friend's list counts it as unread; A's does not (A wrote it).
      const friendList = (await (await caller(friend))('GET', '/conversations')).body.conversations as Json[];
      expect(friendList).toMatchObject([{ conversationId: id, unreadCount: 1 }]);
      expect(((await a('GET', '/conversations')).body.conversations as Json[])[0]).toMatchObject({ conversationId: id, unreadCount: 0 });

      // Neither pushes nor list reach B.
      bClient.send({ type: 'ping', id: 'flush' });
      await bClient.next('pong');
      expect(bClient.of('event')).toEqual([]);
      expect((await b('GET', '/conversations')).body.conversations).toEqual([]);

      // Refused with 422 naming members: a conversation with only oneself, or with nobody known.
      const self = await b('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [bId] });
      expect(self).toMatchObject({ status: 422, body: { error: { code: 'no_other_member', field: 'members' } } });
      const nobody = uniqueId('nobody');
      const unknown = await b('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [friend, nobody] });
      expect(unknown).toMatchObject({ status: 409, body: { error: { code: 'unknown_member', field: 'members', unknown: [nobody] } } });
      expect(String((unknown.body.error as Json).message)).toContain(nobody);
      expect((await b('GET', '/conversations')).body.conversations).toEqual([]);
    } finally {
      await fx.close();
    }
  });

  it('channels: B gets an error frame for every namespace of A’s, with or without `since`, and never an event; A gets them', async () => {
    const fx = gatewayFixture();
    try {
      const { aId, bId, a } = await pair();
      const conv = await a('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [await known()] });
      // A's channel in each namespace the gateway serves (the same set main.ts registers).
      const channelsOfA: Record<string, string> = {
        user: userChannel(aId),
        conversation: conversationChannel(String(conv.body.conversationId)),
        ledger: ledgerChannel(aId),
      };
      const namespaces = Object.keys({ ...DEFAULT_AUTHORIZERS, ...channelAuthorizers(ctx) });
      expect(Object.keys(channelsOfA).sort()).toEqual(namespaces.sort());
      const channels = Object.values(channelsOfA);
      const before = await Promise.all(channels.map((ch) => fx.publisher.publish(ch, 'before', { secret: ch })));

      const gw = await fx.instance(channelAuthorizers(ctx));
      const aClient = await fx.connect(gw.url, await fx.token(aId));
      for (const ch of channels.slice(1)) aClient.send({ type: 'subscribe', channel: ch });
      for (const ch of channels) await aClient.next('subscribed', ch);
      // B resuming "its" channel from an offset of A's gets its own channel only.
      const bClient = await fx.connect(`${gw.url}?since=${before[0]!.offset}&epoch=${before[0]!.epoch}`, await fx.token(bId));
      expect((await bClient.next('subscribed')).channel).toBe(userChannel(bId));

      for (const channel of channels) {
        bClient.send({ type: 'subscribe', channel });
        expect(await bClient.next('error', channel)).toMatchObject({ code: 'forbidden', channel });
        bClient.send({ type: 'subscribe', channel, since: '0-0', epoch: before[0]!.epoch });
        expect(await bClient.next('error', channel)).toMatchObject({ code: 'forbidden', channel });
        bClient.send({ type: 'unsubscribe', channel });
        expect(await bClient.next('error', channel)).toMatchObject({ code: 'not_subscribed' });
        // Clients cannot publish at all: there is no such frame.
        bClient.send({ type: 'publish', channel, event: 'forged', data: {} });
      }
      await bClient.until((f) => f.filter((x) => x.type === 'error' && x.code === 'unknown_frame').length === channels.length);
      for (const ch of channels) await fx.publisher.publish(ch, 'after', { secret: ch });
      for (const ch of channels) expect((await aClient.next('event', ch)).event).toBe('after');
      // A delivered everything on this instance; a ping round trip flushes B's socket behind it.
      bClient.send({ type: 'ping', id: 'flush' });
      await bClient.next('pong');
      expect(bClient.of('event')).toEqual([]);
      expect(aClient.of('event').some((e) => e.event === 'forged')).toBe(false);
      for (const ch of channels) expect(await fx.presence.channelConnections(ch)).toBe(1);
    } finally {
      await fx.close();
    }
  });

  it('traces: B gets 404 for the trace of A’s request, as for an unknown one, even after joining it; A reads it', async () => {
    const { a, b } = await pair();
    const traceId = (await a('GET', '/purchases')).headers.get('x-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await flushTracing();
    // A's own read, once Jaeger has the trace (spans are exported in batches).
    await eventually(async () => (await a('GET', `/traces/${traceId}`)).status === 200, 20_000, 300);
    const unknown = await b('GET', `/traces/${'0'.repeat(32)}`);
    expectNotFound(await b('GET', `/traces/${traceId}`), unknown);
    // B's request sent with A's trace as its parent joins the trace, but does not make it B's.
    await b('GET', '/purchases', undefined, { traceparent: `00-${traceId}-${'1'.repeat(16)}-01` });
    await flushTracing();
    await eventually(
      async () => {
        const view = (await a('GET', `/traces/${traceId}`)).body as { spans?: { name: string }[] };
        return (view.spans ?? []).filter((s) => s.name === 'GET /purchases').length === 2;
      },
      20_000,
      300,
    );
    expectNotFound(await b('GET', `/traces/${traceId}`), unknown);
  });

  it('the development sign-in is off here (a token for any user name would be every user’s resources)', async () => {
    expect((await app.request('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"userId":"a"}' })).status).toBe(404);
  });

  it('every HTTP route of the app was tried by B above, or has no user data and says why', () => {
    const guarded = app.routes.filter((r) => r.method === 'ALL' && r.path.endsWith('/*') && r.path !== '/*').map((r) => r.path.slice(0, -2));
    const all = routes().map((r) => `${r.method} ${r.path}`);
    const business = all.filter((r) => guarded.some((p) => r.split(' ')[1]!.startsWith(`${p}/`) || r.split(' ')[1] === p));
    expect(business.filter((r) => !triedByB.has(r))).toEqual([]);
    expect(all.filter((r) => !business.includes(r) && !(r in PUBLIC_ROUTES))).toEqual([]);
    expect(Object.keys(PUBLIC_ROUTES).filter((r) => !all.includes(r) || business.includes(r))).toEqual([]);
  });
});
