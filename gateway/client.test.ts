import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, uniqueId } from '../test/support/context';
import { gatewayFixture, upgradeStatus } from '../test/support/gateway';
import { backoffDelay, GatewayClient, type ClientEvents } from './client';
import type { EventFrame } from './protocol';
import { userChannel } from '../contracts/channels';

describe('backoffDelay (full jitter)', () => {
  const opts = { initialMs: 100, maxMs: 5_000 };
  it('grows exponentially up to the cap, scaled by the random draw', () => {
    expect(backoffDelay(0, opts, () => 0.5)).toBe(50);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(400);
    expect(backoffDelay(10, opts, () => 0.5)).toBe(2_500);
    expect(backoffDelay(10, opts, () => 0)).toBe(0);
    expect(backoffDelay(30, opts, () => 0.999999)).toBeLessThan(5_000);
  });
});

describe('GatewayClient against real gateways', () => {
  const fixtures: ReturnType<typeof gatewayFixture>[] = [];
  const clients: GatewayClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(fixtures.splice(0).map((f) => f.close()));
  });
  const setup = (overrides: Record<string, string> = {}) => {
    const fx = gatewayFixture(overrides);
    fixtures.push(fx);
    return fx;
  };
  const client = (url: string | string[], getToken: () => Promise<string>) => {
    const c = new GatewayClient({ url, getToken, WebSocket: WebSocket as never, backoff: { initialMs: 50, maxMs: 500 } });
    clients.push(c);
    const events: EventFrame[] = [];
    const states: ClientEvents['state'][] = [];
    const gaps: string[] = [];
    c.on('event', (e) => events.push(e));
    c.on('state', (s) => states.push(s));
    c.on('gap', (g) => gaps.push(g.channel));
    return { c, events, states, gaps };
  };

  it('takes every event of a live-only namespace (no offsets to order them by) and resubscribes it without a position after a failover', async () => {
    const fx = setup({ GATEWAY_LIVE_ONLY_NAMESPACES: 'typing' });
    const typing = { typing: () => true };
    const [a, b] = await Promise.all([fx.instance(typing), fx.instance(typing)]);
    const user = uniqueId('u');
    const channel = `typing:${uniqueId('c')}`;
    const { c, events, gaps } = client([a.url, b.url], () => fx.token(user));
    c.subscribe(channel);
    c.connect();
    await eventually(async () => (await fx.presence.channelConnections(channel)) === 1);
    for (let n = 1; n <= 3; n++) await fx.publisher.publish(channel, 'typing', { n });
    await eventually(async () => events.length === 3);
    expect(c.positions.has(channel)).toBe(false);
    await a.stop(); // to b: subscribed again with no `since`, so no gap is claimed
    await eventually(async () => (await fx.presence.channelConnections(channel)) === 1);
    await fx.publisher.publish(channel, 'typing', { n: 4 });
    await eventually(async () => events.length === 4);
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
    expect(gaps).toEqual([]);
  });

  it('fails over to another instance and resubscribes from the last offsets: nothing lost, nothing twice', async () => {
    const fx = setup();
    const lobby = { room: () => true };
    const [a, b] = await Promise.all([fx.instance(lobby), fx.instance(lobby)]);
    const user = uniqueId('u');
    const room = `room:${uniqueId('r')}`;
    const { c, events, states } = client([a.url, b.url], () => fx.token(user));
    c.subscribe(room);
    c.connect();
    await eventually(async () => c.state === 'open');
    await eventually(async () => (await fx.presence.channelConnections(room)) === 1);

    await fx.publisher.publish(userChannel(user), 'n', { n: 1 });
    await fx.publisher.publish(room, 'n', { n: 1 });
    await eventually(async () => events.length === 2);

    await a.stop(); // 1001: the client moves to b
    const missed = [2, 3, 4];
    for (const n of missed) {
      await fx.publisher.publish(userChannel(user), 'n', { n });
      await fx.publisher.publish(room, 'n', { n });
    }
    await eventually(async () => events.length === 8, 10_000);
    await fx.publisher.publish(userChannel(user), 'n', { n: 5 });
    await fx.publisher.publish(room, 'n', { n: 5 });
    await eventually(async () => events.length === 10);
    // No duplicate: once a later event arrives on both, a second copy of anything before it would have too.
    await fx.publisher.publish(userChannel(user), 'n', { n: 6 });
    await fx.publisher.publish(room, 'n', { n: 6 });
    await eventually(async () => events.length >= 12);

    const seq = (channel: string) => events.filter((e) => e.channel === channel).map((e) => (e.data as { n: number }).n);
    expect(seq(userChannel(user))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seq(room)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'open', 'reconnecting', 'connecting', 'open']);
    expect(states[2]).toMatchObject({ closeCode: 1001 });
    expect(b.gateway.sessions.size).toBe(1);
  });

  it('refreshes its token on every reconnect (here after the lifetime close, 4001)', async () => {
    const fx = setup({ GATEWAY_MAX_LIFETIME_MS: '400' });
    const a = await fx.instance();
    const user = uniqueId('u');
    let issued = 0;
    const { c, states } = client(a.url, async () => {
      issued++;
      return fx.token(user);
    });
    c.connect();
    await eventually(async () => states.filter((s) => s.state === 'open').length >= 2, 5_000);
    expect(issued).toBeGreaterThanOrEqual(2);
    expect(states.find((s) => s.state === 'reconnecting')).toMatchObject({ closeCode: 4001 });
  });

  it('does not reconnect after a close that is its own fault (1009)', async () => {
    const fx = setup({ GATEWAY_MAX_FRAME_BYTES: '1024' });
    const a = await fx.instance();
    const { c, states } = client(a.url, () => fx.token(uniqueId('u')));
    c.connect();
    await eventually(async () => c.state === 'open');
    (c as unknown as { socket: { send(d: string): void } }).socket.send('x'.repeat(4_096));
    await eventually(async () => c.state === 'closed');
    await new Promise((r) => setTimeout(r, 300)); // time passing is the point: past its first backoff, it has not reconnected
    expect(states.at(-1)).toMatchObject({ state: 'closed', closeCode: 1009 });
    expect(states.filter((s) => s.state === 'reconnecting')).toHaveLength(0);
  });

  it('recovers what a channel published while it was away even when it had no event before (a new user, a new conversation)', async () => {
    const fx = setup();
    const a = await fx.instance({ room: () => true });
    const user = uniqueId('u');
    const room = `room:${uniqueId('r')}`;
    const { c, events, gaps } = client(a.url, () => fx.token(user));
    c.subscribe(room);
    c.connect();
    await eventually(async () => c.state === 'open' && c.positions.has(room));
    c.close();
    await fx.publisher.publish(userChannel(user), 'n', { n: 1 });
    await fx.publisher.publish(room, 'n', { n: 1 });
    c.connect();
    await eventually(async () => events.length === 2);
    expect(events.map((e) => e.channel).sort()).toEqual([room, userChannel(user)].sort());
    expect(gaps).toEqual([]);
  });

  it('reports a gap when the history it needs is gone, so the app refetches', async () => {
    const fx = setup();
    const a = await fx.instance();
    const user = uniqueId('u');
    const channel = userChannel(user);
    const { c, events, gaps } = client(a.url, () => fx.token(user));
    c.connect();
    await eventually(async () => c.state === 'open');
    await fx.publisher.publish(channel, 'n', { n: 1 });
    await eventually(async () => events.length === 1);
    c.close();
    // History and epoch lost (as after a Redis restart without persistence).
    await fx.redis.del(`stream:{${channel}}`, `stream-meta:{${channel}}`);
    await fx.publisher.publish(channel, 'n', { n: 2 });
    c.connect();
    await eventually(async () => gaps.includes(channel));
    expect(events).toHaveLength(1);
  });

  it('the upgrade refuses a malformed since with 400 naming it', async () => {
    const fx = setup();
    const a = await fx.instance();
    const res = await upgradeStatus(`${a.url}?since=yesterday&access_token=${await fx.token('u1')}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { field: 'since' } });
  });
});
