import { SignJWT } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gatewayFixture, upgradeStatus } from '../test/support/gateway';
import { eventually, uniqueId } from '../test/support/context';
import type { Session } from './session';
import { userChannel } from '../contracts/channels';

// Real Redis, real sockets, gateway instances as separate servers in this process.
describe('gateway: fan-out across instances', () => {
  const fx = gatewayFixture();
  afterAll(() => fx.close());

  it("delivers an event published by a third process to the user's connections on both instances, and to no one else", async () => {
    const [a, b] = await Promise.all([fx.instance(), fx.instance()]);
    const alice = uniqueId('alice');
    const bob = uniqueId('bob');
    const [onA, onB, bobOnA] = await Promise.all([
      fx.connect(a.url, await fx.token(alice)),
      fx.connect(b.url, await fx.token(alice)),
      fx.connect(a.url, await fx.token(bob)),
    ]);
    await Promise.all([onA, onB, bobOnA].map((c) => c.next('subscribed')));
    expect(await fx.presence.userConnections(alice)).toBe(2);

    const result = await fx.publisher.publish(userChannel(alice), 'purchase.status', { status: 'COMPLETED' });
    expect(result.connections).toBe(2);

    for (const c of [onA, onB]) {
      const e = await c.next('event');
      expect(e).toMatchObject({ channel: userChannel(alice), event: 'purchase.status', data: { status: 'COMPLETED' }, offset: result.offset });
    }
    await fx.publisher.publish(userChannel(bob), 'hello', {});
    await bobOnA.next('event');
    expect(bobOnA.of('event').map((e) => e.channel)).toEqual([userChannel(bob)]);
    expect(onA.of('event')).toHaveLength(1);
  });

  it('publishes a dedupe id once: a retried publish returns the first offset and delivers nothing new', async () => {
    const a = await fx.instance();
    const carol = uniqueId('carol');
    const c = await fx.connect(a.url, await fx.token(carol));
    await c.next('subscribed');
    const first = await fx.publisher.publish(userChannel(carol), 'purchase.status', { status: 'PENDING' }, { dedupeId: 'p1:PENDING' });
    const retry = await fx.publisher.publish(userChannel(carol), 'purchase.status', { status: 'PENDING' }, { dedupeId: 'p1:PENDING' });
    const next = await fx.publisher.publish(userChannel(carol), 'purchase.status', { status: 'COMPLETED' }, { dedupeId: 'p1:COMPLETED' });
    expect(first.duplicate).toBe(false);
    expect(retry).toMatchObject({ duplicate: true, offset: first.offset });
    await c.until((f) => f.some((x) => x.type === 'event' && x.offset === next.offset));
    expect(c.of('event').map((e) => (e.data as { status: string }).status)).toEqual(['PENDING', 'COMPLETED']);
  });

  it('welcomes with the connection id, user and expiry, subscribed to the user channel', async () => {
    const a = await fx.instance();
    const user = uniqueId('u');
    const c = await fx.connect(a.url, await fx.token(user));
    const welcome = await c.next('welcome');
    expect(welcome).toMatchObject({ protocol: 1, userId: user, channels: [userChannel(user)] });
    expect(typeof welcome.connectionId).toBe('string');
    expect(new Date(String(welcome.expiresAt)).getTime()).toBeGreaterThan(Date.now());
    expect(await c.next('subscribed')).toMatchObject({ channel: userChannel(user), recovered: true });
  });
});

describe('gateway: recovery', () => {
  const fx = gatewayFixture();
  afterAll(() => fx.close());

  it('replays exactly the missed events in order after a reconnect with since, then goes live with no duplicate', async () => {
    const a = await fx.instance();
    const user = uniqueId('u');
    const channel = userChannel(user);
    const first = await fx.connect(a.url, await fx.token(user));
    await first.next('subscribed');
    const before = await fx.publisher.publish(channel, 'n', { n: 0 });
    const seen = await first.next('event');
    first.ws.close();
    await first.closed;

    const missed = [];
    for (let n = 1; n <= 3; n++) missed.push(await fx.publisher.publish(channel, 'n', { n }));

    const again = await fx.connect(a.url, await fx.token(user));
    await again.next('subscribed');
    again.send({ type: 'subscribe', channel, since: seen.offset, epoch: before.epoch });
    await again.until((f) => f.filter((x) => x.type === 'subscribed').length === 2);
    const resubscribed = again.of('subscribed')[1]!;
    expect(resubscribed).toMatchObject({ recovered: true, replayed: 3, epoch: before.epoch });
    await again.until((f) => f.filter((x) => x.type === 'event').length === 3);
    expect(again.of('event').map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    expect(again.of('event').map((e) => e.offset)).toEqual(missed.map((m) => m.offset));

    const live = await fx.publisher.publish(channel, 'n', { n: 4 });
    await again.until((f) => f.filter((x) => x.type === 'event').length === 4);
    expect(again.of('event').at(-1)).toMatchObject({ offset: live.offset, data: { n: 4 } });
    // No duplicate: once a later event arrives, a second copy of anything before it would have too.
    await fx.publisher.publish(channel, 'n', { n: 5 });
    await again.until((f) => f.filter((x) => x.type === 'event').length >= 5);
    expect(again.of('event').map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('replays a channel that had no event yet when the client subscribed (offset 0-0, no epoch) instead of reporting a gap', async () => {
    const a = await fx.instance();
    const user = uniqueId('u');
    const channel = userChannel(user);
    const first = await fx.connect(a.url, await fx.token(user));
    const empty = await first.next('subscribed');
    expect(empty).toMatchObject({ channel, offset: '0-0', epoch: '' });
    first.ws.close();
    await first.closed;

    const missed = [];
    for (let n = 1; n <= 2; n++) missed.push(await fx.publisher.publish(channel, 'n', { n }));
    const again = await fx.connect(a.url, await fx.token(user));
    await again.next('subscribed');
    again.send({ type: 'subscribe', channel, since: empty.offset, epoch: empty.epoch });
    await again.until((f) => f.filter((x) => x.type === 'subscribed').length === 2);
    expect(again.of('subscribed')[1]).toMatchObject({ recovered: true, replayed: 2, epoch: missed[0]!.epoch });
    await again.until((f) => f.filter((x) => x.type === 'event').length === 2);
    expect(again.of('event').map((e) => e.offset)).toEqual(missed.map((m) => m.offset));
  });

  it('has no gap or duplicate at the seam when events keep arriving during the replay', async () => {
    const a = await fx.instance();
    const user = uniqueId('u');
    const channel = userChannel(user);
    const start = await fx.publisher.publish(channel, 'n', { n: 0 });
    for (let n = 1; n <= 50; n++) await fx.publisher.publish(channel, 'n', { n });
    const c = await fx.connect(a.url, await fx.token(user));
    await c.next('subscribed');
    c.send({ type: 'subscribe', channel, since: start.offset });
    // Publish concurrently with the replay.
    for (let n = 51; n <= 100; n++) await fx.publisher.publish(channel, 'n', { n });
    // Then one more: once it arrives, a duplicate or a straggler from before it would have too.
    await fx.publisher.publish(channel, 'n', { n: 101 });
    await c.until((f) => f.some((x) => x.type === 'event' && (x.data as { n: number }).n === 101), 10_000);
    const ns = c.of('event').map((e) => (e.data as { n: number }).n);
    expect(ns).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
  });

  it('says recovered:false when the history no longer reaches back, or the epoch changed', async () => {
    const fxSmall = gatewayFixture({ GATEWAY_STREAM_MAXLEN: '10' });
    try {
      const a = await fxSmall.instance();
      const user = uniqueId('u');
      const channel = userChannel(user);
      const old = await fxSmall.publisher.publish(channel, 'n', { n: 0 });
      for (let n = 1; n <= 400; n++) await fxSmall.publisher.publish(channel, 'n', { n });
      const c = await fxSmall.connect(a.url, await fxSmall.token(user));
      await c.next('subscribed');
      c.send({ type: 'subscribe', channel, since: old.offset, epoch: old.epoch });
      const tooOld = await c.next('subscribed');
      expect(tooOld).toMatchObject({ recovered: false, replayed: 0 });

      const recent = await fxSmall.publisher.publish(channel, 'n', { n: 401 });
      c.send({ type: 'subscribe', channel, since: recent.offset, epoch: 'another-epoch' });
      expect(await c.next('subscribed')).toMatchObject({ recovered: false, epoch: recent.epoch });
    } finally {
      await fxSmall.close();
    }
  });
});

describe('gateway: a live-only namespace (GATEWAY_LIVE_ONLY_NAMESPACES)', () => {
  const fx = gatewayFixture({ GATEWAY_LIVE_ONLY_NAMESPACES: 'user' });
  afterAll(() => fx.close());

  it('delivers every event once with no offset or epoch, keeps no history, and says a recovery cannot be made', async () => {
    const a = await fx.instance();
    const user = uniqueId('u');
    const channel = userChannel(user);
    const c = await fx.connect(a.url, await fx.token(user));
    expect(await c.next('subscribed')).toMatchObject({ channel, offset: '', epoch: '', recovered: true, replayed: 0 });
    const published = [];
    for (let n = 1; n <= 3; n++) published.push(await fx.publisher.publish(channel, 'typing', { n }));
    expect(published.map((p) => [p.offset, p.epoch])).toEqual([
      ['', ''],
      ['', ''],
      ['', ''],
    ]);
    expect(published[0]!.connections).toBe(1);
    await c.until((f) => f.filter((x) => x.type === 'event').length === 3);
    expect(c.of('event').map((e) => [e.offset, e.epoch, (e.data as { n: number }).n])).toEqual([
      ['', '', 1],
      ['', '', 2],
      ['', '', 3],
    ]);
    expect(await fx.redis.exists(`stream:{${channel}}`, `stream-meta:{${channel}}`)).toBe(0);
    // A client that asks to recover is told nothing can be: there is no history to replay.
    c.send({ type: 'subscribe', channel, since: '1-0', epoch: 'e' });
    expect(await c.next('subscribed')).toMatchObject({ channel, recovered: false, replayed: 0, offset: '' });
    // A retried publish with a dedupe id is still published once.
    await fx.publisher.publish(channel, 'typing', { n: 4 }, { dedupeId: 'once' });
    expect(await fx.publisher.publish(channel, 'typing', { n: 4 }, { dedupeId: 'once' })).toMatchObject({ duplicate: true });
    await fx.publisher.publish(channel, 'typing', { n: 5 });
    await c.until((f) => f.some((x) => x.type === 'event' && (x.data as { n: number }).n === 5));
    expect(c.of('event').map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('another user does not get a live-only channel’s events', async () => {
    const a = await fx.instance();
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const bobC = await fx.connect(a.url, await fx.token(bob));
    await bobC.next('subscribed');
    bobC.send({ type: 'subscribe', channel: userChannel(alice) });
    expect(await bobC.next('error')).toMatchObject({ code: 'forbidden', channel: userChannel(alice) });
    await fx.publisher.publish(userChannel(alice), 'typing', { secret: true });
    await fx.publisher.publish(userChannel(bob), 'typing', { mine: true });
    await bobC.next('event');
    expect(bobC.of('event').map((e) => e.data)).toEqual([{ mine: true }]);
  });
});

describe('gateway: authentication at the upgrade', () => {
  const fx = gatewayFixture();
  afterAll(() => fx.close());
  const secret = new TextEncoder().encode(fx.config.JWT_SECRET);
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (over: Record<string, unknown> = {}) => ({ sub: 'u1', iss: fx.config.JWT_ISSUER, aud: fx.config.JWT_AUDIENCE, exp: now() + 60, ...over });
  const sign = (c: Record<string, unknown>, key: Uint8Array = secret) => new SignJWT(c).setProtectedHeader({ alg: 'HS256' }).sign(key);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('accepts a valid token in the header or the query string', async () => {
    const a = await fx.instance();
    const token = await sign(claims());
    expect((await upgradeStatus(a.url, { authorization: `Bearer ${token}` })).status).toBe(101);
    expect((await upgradeStatus(`${a.url}?access_token=${token}`)).status).toBe(101);
  });

  it.each([
    ['missing', async () => undefined],
    ['malformed', async () => 'not.a.jwt'],
    ['wrong signature', async () => sign(claims(), new TextEncoder().encode('x'.repeat(40)))],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
    ['expired', async () => sign(claims({ exp: now() - 60 }))],
    ['wrong audience', async () => sign(claims({ aud: 'someone-else' }))],
    ['wrong issuer', async () => sign(claims({ iss: 'evil' }))],
    ['no subject', async () => sign(claims({ sub: undefined }))],
  ])('refuses a %s token with HTTP 401 and no socket', async (_name, make) => {
    const a = await fx.instance();
    const token = await make();
    const res = await upgradeStatus(a.url, token ? { authorization: `Bearer ${token}` } : {});
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'unauthorized' } });
    expect(a.gateway.sessions.size).toBe(0);
  });
});

describe('gateway: frames, channels and limits', () => {
  const fx = gatewayFixture({ GATEWAY_RATE_PER_SECOND: '5', GATEWAY_RATE_BURST: '20', GATEWAY_MAX_FRAME_BYTES: '4096' });
  afterAll(() => fx.close());
  const open = async () => {
    const a = await fx.instance();
    const user = uniqueId('u');
    const c = await fx.connect(a.url, await fx.token(user));
    await c.next('subscribed');
    return { a, user, c };
  };

  it('answers malformed JSON and unknown frame types with an error frame, and the connection survives', async () => {
    const { c } = await open();
    c.send('{not json');
    expect(await c.next('error')).toMatchObject({ code: 'malformed_frame' });
    c.send({ type: 'dance' });
    expect(await c.next('error')).toMatchObject({ code: 'unknown_frame', field: 'type' });
    c.send({ type: 'subscribe', channel: 'no colon here' });
    expect(await c.next('error')).toMatchObject({ code: 'invalid_frame', field: 'channel' });
    c.send({ type: 'ping', id: 7 });
    expect(await c.next('pong')).toMatchObject({ id: 7 });
  });

  it("refuses another user's channel and unknown namespaces; nothing leaks", async () => {
    const { c } = await open();
    const other = uniqueId('other');
    c.send({ type: 'subscribe', channel: userChannel(other) });
    expect(await c.next('error')).toMatchObject({ code: 'forbidden', channel: userChannel(other) });
    c.send({ type: 'subscribe', channel: 'secret:plans' });
    expect(await c.next('error')).toMatchObject({ code: 'unknown_channel' });
    await fx.publisher.publish(userChannel(other), 'private', { x: 1 });
    c.send({ type: 'ping' });
    await c.next('pong');
    expect(c.of('event')).toHaveLength(0);
  });

  it('subscribes and unsubscribes through an authorization hook', async () => {
    const a = await fx.instance({ room: (userId, id) => id === 'open' || id === `${userId}-only` });
    const user = uniqueId('u');
    const c = await fx.connect(a.url, await fx.token(user));
    await c.next('subscribed');
    c.send({ type: 'subscribe', channel: 'room:open' });
    expect(await c.next('subscribed', 'room:open')).toMatchObject({ recovered: true });
    await fx.publisher.publish('room:open', 'said', { text: 'hi' });
    expect(await c.next('event', 'room:open')).toMatchObject({ data: { text: 'hi' } });
    c.send({ type: 'subscribe', channel: 'room:closed' });
    expect(await c.next('error')).toMatchObject({ code: 'forbidden' });
    c.send({ type: 'unsubscribe', channel: 'room:open' });
    await c.next('unsubscribed');
    await fx.publisher.publish('room:open', 'said', { text: 'after' });
    c.send({ type: 'ping' });
    await c.next('pong');
    expect(c.of('event', 'room:open')).toHaveLength(1);
  });

  it('closes a flooding client with 1008', async () => {
    const { c } = await open();
    for (let i = 0; i < 100; i++) c.send({ type: 'ping' });
    expect(await c.closed).toBe(1008);
  });

  it('closes on an oversized frame with 1009', async () => {
    const { c } = await open();
    c.send({ type: 'ping', id: 'x'.repeat(5_000) });
    expect(await c.closed).toBe(1009);
  });
});

describe('gateway: lifecycle', () => {
  const fxs: ReturnType<typeof gatewayFixture>[] = [];
  const fixture = (o: Record<string, string> = {}) => {
    const fx = gatewayFixture(o);
    fxs.push(fx);
    return fx;
  };
  afterEach(async () => {
    await Promise.all(fxs.splice(0).map((f) => f.close()));
  });

  it('closes a connection at its maximum lifetime with 4001', async () => {
    const fx = fixture({ GATEWAY_MAX_LIFETIME_MS: '400' });
    const a = await fx.instance();
    const c = await fx.connect(a.url, await fx.token(uniqueId('u')));
    expect(await c.closed).toBe(4001);
  });

  it('closes with 4003 when the token expires before the lifetime cap', async () => {
    const fx = fixture();
    const a = await fx.instance();
    const c = await fx.connect(a.url, await fx.token(uniqueId('u'), { ttlSeconds: 1 }));
    expect(await c.closed).toBe(4003);
  });

  it('drops a client that stops answering pings, and keeps one that answers', async () => {
    const fx = fixture({ GATEWAY_PING_INTERVAL_MS: '150' });
    const a = await fx.instance();
    const silent = await fx.connect(a.url, await fx.token(uniqueId('u')), { autoPong: false });
    const healthy = await fx.connect(a.url, await fx.token(uniqueId('u')));
    expect(await silent.closed).toBe(1006);
    await new Promise((r) => setTimeout(r, 500)); // time passing is the point: three more ping intervals, still open
    expect(healthy.closeCode).toBeUndefined();
  });

  it('cuts off a slow consumer instead of buffering without bound', async () => {
    const fx = fixture({ GATEWAY_MAX_BUFFERED_BYTES: String(256 * 1024) });
    const a = await fx.instance();
    const user = uniqueId('u');
    const c = await fx.connect(a.url, await fx.token(user));
    const slowId = (await c.next('welcome')).connectionId;
    await c.next('subscribed');
    // A second reader of the same channel that keeps reading: it must not pay for the slow one.
    const healthy = await fx.connect(a.url, await fx.token(user));
    await healthy.next('subscribed');
    const closed = new Promise<Session>((resolve) => a.gateway.events.once('closed', resolve));
    // The client stops reading; the kernel buffers fill, then the server's send buffer grows.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = 'x'.repeat(32 * 1024);
    let maxBuffered = 0;
    const watch = setInterval(() => {
      for (const s of a.gateway.sessions) maxBuffered = Math.max(maxBuffered, s.ws.bufferedAmount);
    }, 5);
    try {
      let published = 0;
      for (let i = 0; i < 400 && a.gateway.sessions.size > 1; i++, published++) await fx.publisher.publish(userChannel(user), 'big', { payload });
      const session = await closed;
      // The slow one, with the documented code (docs/gateway-protocol.md, Limits).
      expect(session.connectionId).toBe(slowId);
      expect(session.closeCode).toBe(4002);
      expect(maxBuffered).toBeLessThan(256 * 1024 + 64 * 1024);
      // Reading again, the client finds itself disconnected: the close frame if it got through the
      // full buffers, else the drop a second later.
      (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect([4002, 1006]).toContain(await c.closed);
      // The healthy reader got every event and is still connected.
      await healthy.until((f) => f.filter((x) => x.type === 'event').length >= published, 10_000);
      expect(healthy.closeCode).toBeUndefined();
    } finally {
      clearInterval(watch);
    }
  });

  it('shuts down gracefully with 1001 and removes its registry entries', async () => {
    const fx = fixture();
    const a = await fx.instance();
    const user = uniqueId('u');
    const c = await fx.connect(a.url, await fx.token(user));
    await c.next('subscribed');
    expect(await fx.presence.isOnline(user)).toBe(true);
    await a.stop();
    expect(await c.closed).toBe(1001);
    expect(await fx.presence.userConnections(user)).toBe(0);
    expect(await fx.redis.hlen(`user-conns:${user}`)).toBe(0);
  });

  it('removes a connection from the registry on close, and forgets a dead instance', async () => {
    const fx = fixture({ GATEWAY_INSTANCE_TTL_MS: '600' });
    const a = await fx.instance();
    const user = uniqueId('u');
    const c = await fx.connect(a.url, await fx.token(user));
    await c.next('subscribed');
    expect(await fx.presence.userConnections(user)).toBe(1);
    c.ws.close();
    await eventually(async () => (await fx.presence.userConnections(user)) === 0, 3_000);
    expect(await fx.redis.hlen(`user-conns:${user}`)).toBe(0);

    // An instance that dies without unregistering: presence stops counting it once its heartbeat
    // key expires, and a live instance's reaper removes its entries.
    const ghost = uniqueId('gw-ghost');
    const ghostUser = uniqueId('u');
    await fx.redis
      .multi()
      .set(`gateway-instance:${ghost}`, '1', 'PX', 300)
      .sadd('gateway-instances', ghost)
      .hset(`conn:${ghost}-c1`, { userId: ghostUser, instanceId: ghost })
      .hset(`user-conns:${ghostUser}`, `${ghost}-c1`, ghost)
      .sadd(`instance-conns:${ghost}`, `${ghost}-c1`)
      .exec();
    expect(await fx.presence.userConnections(ghostUser)).toBe(1);
    await eventually(async () => (await fx.presence.userConnections(ghostUser)) === 0, 3_000);
    await eventually(async () => (await fx.redis.exists(`conn:${ghost}-c1`)) === 0, 3_000);
    expect(await fx.redis.hlen(`user-conns:${ghostUser}`)).toBe(0);
  });
});

describe('gateway: metrics', () => {
  const fx = gatewayFixture();
  afterAll(() => fx.close());

  it('counts connections, subscriptions, frames and publish-to-delivery lag per instance', async () => {
    const { metrics } = await import('../platform/metrics');
    const a = await fx.instance();
    const user = uniqueId('u');
    const c = await fx.connect(a.url, await fx.token(user));
    await c.next('subscribed');
    c.send({ type: 'ping' });
    await c.next('pong');
    await fx.publisher.publish(userChannel(user), 'x', {});
    await c.next('event');
    const text = await metrics.metrics();
    const value = (name: string) => Number(text.match(new RegExp(`^${name}\\{instance="${a.gateway.instanceId}"\\} (\\S+)$`, 'm'))?.[1]);
    expect(value('tidings_gateway_connections')).toBe(1);
    expect(value('tidings_gateway_subscriptions')).toBe(1);
    expect(value('tidings_gateway_frames_in_total')).toBe(1);
    expect(value('tidings_gateway_frames_out_total')).toBe(4); // welcome, subscribed, pong, event
    expect(value('tidings_gateway_delivery_lag_seconds_count')).toBe(1);
  });
});
