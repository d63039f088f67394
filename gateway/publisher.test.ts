import { afterAll, describe, expect, it, vi } from 'vitest';
import { testContext, uniqueId } from '../test/support/context';
import { readHistory } from './history';
import { channelKeys, createPublisher, pubsubPrefixOf, PublishError, readLiveFrame } from './publisher';
import { userChannel } from '../contracts/channels';

// The publisher on the real Redis: what is published in one turn of the event loop goes out in one
// script call, each caller still gets its own answer, and an event Redis refuses fails alone.
describe('publisher batches', () => {
  const ctx = testContext();
  afterAll(() => ctx.lifecycle.close());
  const publisherOn = () => {
    const redis = ctx.redis();
    return { redis, publisher: createPublisher(redis, { maxLen: 100, ttlSeconds: 60, presence: ctx.presence() }) };
  };

  it('one call for the events of one tick, across channels; each channel keeps its order; each caller its own offset', async () => {
    const { redis, publisher } = publisherOn();
    const calls = vi.spyOn(redis, 'evalsha');
    const channels = [userChannel(uniqueId('a')), userChannel(uniqueId('b'))];
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => publisher.publish(channels[i % 2]!, 'n', { i }, { countConnections: false })));
      expect(calls).toHaveBeenCalledTimes(1);
      for (const [c, channel] of channels.entries()) {
        const history = await readHistory(redis, channel, '0-0');
        expect(history.events.map((e) => (e.data as { i: number }).i)).toEqual([0, 2, 4, 6, 8].map((i) => i + c));
        expect(history.events.map((e) => e.offset)).toEqual(results.filter((_, i) => i % 2 === c).map((r) => r.offset));
      }
    } finally {
      calls.mockRestore();
    }
  });

  it('the frame the script publishes reads the same by position as parsed whole (readLiveFrame)', async () => {
    const { redis, publisher } = publisherOn();
    const listener = redis.duplicate();
    const channel = userChannel(uniqueId('frame'));
    try {
      await listener.subscribe(channelKeys(channel, pubsubPrefixOf(redis)).pubsub);
      const received = new Promise<string>((resolve) => listener.once('message', (_: string, raw: string) => resolve(raw)));
      const { offset } = await publisher.publish(channel, 'odd "event"', { text: ',"offset":"1-1","publishedAt":3' }, { countConnections: false });
      const raw = await received;
      const whole = JSON.parse(raw) as { offset: string; event: string; publishedAt: number };
      expect(readLiveFrame(raw)).toEqual({ offset, event: whole.event, publishedAt: whole.publishedAt });
      expect(whole.event).toBe('odd "event"');
    } finally {
      listener.disconnect();
    }
  });

  it('a channel’s history lives its TTL after the last event, refreshed at most every tenth of it', async () => {
    const redis = ctx.redis();
    const publisher = createPublisher(redis, { maxLen: 100, ttlSeconds: 10, presence: ctx.presence() });
    const channel = userChannel(uniqueId('ttl'));
    await publisher.publish(channel, 'n', {}, { countConnections: false });
    expect(await redis.ttl(channelKeys(channel).stream)).toBeGreaterThanOrEqual(9);
    await new Promise((r) => setTimeout(r, 2_100)); // past the refresh interval (1 s)
    expect(await redis.ttl(channelKeys(channel).stream)).toBeLessThanOrEqual(8);
    await publisher.publish(channel, 'n', {}, { countConnections: false });
    expect(await redis.ttl(channelKeys(channel).stream)).toBeGreaterThanOrEqual(9);
    expect(await redis.ttl(channelKeys(channel).meta)).toBeGreaterThanOrEqual(9);
  });

  it('a publisher trusting its cached epoch still notices a stream that is gone, and another publisher reads the same epoch', async () => {
    const { redis, publisher } = publisherOn();
    const other = createPublisher(redis, { maxLen: 100, ttlSeconds: 60, presence: ctx.presence() });
    const channel = userChannel(uniqueId('gone'));
    const first = await publisher.publish(channel, 'n', { n: 1 }, { countConnections: false });
    expect((await other.publish(channel, 'n', { n: 2 }, { countConnections: false })).epoch).toBe(first.epoch);
    // Redis lost the channel (restart without persistence, say): the next event starts a new history.
    await redis.del(channelKeys(channel).stream, channelKeys(channel).meta);
    const after = await publisher.publish(channel, 'n', { n: 3 }, { countConnections: false });
    expect(after.epoch).not.toBe(first.epoch);
    expect(await redis.ttl(channelKeys(channel).stream)).toBeGreaterThan(0);
    expect(await readHistory(redis, channel, first.offset, first.epoch)).toMatchObject({ recovered: false });
    expect(await readHistory(redis, channel, '0-0', '')).toMatchObject({ recovered: true, offset: after.offset, epoch: after.epoch });
  });

  it('history is exact about trimming: from the oldest kept entry on it replays, from before it (once trimmed) it says not recovered', async () => {
    const redis = ctx.redis();
    const publisher = createPublisher(redis, { maxLen: 10, ttlSeconds: 60, presence: ctx.presence() });
    const channel = userChannel(uniqueId('trim'));
    const published = [];
    for (let n = 0; n < 20; n++) published.push(await publisher.publish(channel, 'n', { n }, { countConnections: false }));
    // Nothing trimmed yet (approximate trimming drops whole nodes of 100 entries): all of it replays.
    const whole = await readHistory(redis, channel, '0-0', '');
    expect(whole).toMatchObject({ recovered: true, offset: published.at(-1)!.offset });
    expect(whole.events.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    for (let n = 20; n < 250; n++) published.push(await publisher.publish(channel, 'n', { n }, { countConnections: false }));
    const { epoch } = published[0]!;
    const [oldestKept] = ((await redis.xrange(channelKeys(channel).stream, '-', '+', 'COUNT', 1)) as [string, string[]][])[0]!;
    const kept = published.findIndex((p) => p.offset === oldestKept);
    expect(kept).toBeGreaterThan(0);
    const fromKept = await readHistory(redis, channel, oldestKept, epoch);
    expect(fromKept.recovered).toBe(true);
    expect(fromKept.events.map((e) => e.offset)).toEqual(published.slice(kept + 1).map((p) => p.offset));
    expect(await readHistory(redis, channel, published[kept - 2]!.offset, epoch)).toMatchObject({ recovered: false, events: [] });
    expect(await readHistory(redis, channel, '0-0', '')).toMatchObject({ recovered: false });
  });

  it('a live-only namespace publishes the frame alone: no stream, no offset, no epoch, and readLiveFrame still routes it', async () => {
    const redis = ctx.redis();
    const publisher = createPublisher(redis, { maxLen: 100, ttlSeconds: 60, liveOnlyNamespaces: ['typing'], presence: ctx.presence() });
    const live = `typing:${uniqueId('c')}`;
    const kept = userChannel(uniqueId('kept'));
    const listener = redis.duplicate();
    try {
      await listener.subscribe(channelKeys(live, pubsubPrefixOf(redis)).pubsub);
      const received = new Promise<string>((resolve) => listener.once('message', (_: string, raw: string) => resolve(raw)));
      const [l, k] = await Promise.all([
        publisher.publish(live, 'typing', { who: 'a' }, { countConnections: false }),
        publisher.publish(kept, 'n', {}, { countConnections: false }),
      ]);
      expect(l).toEqual({ offset: '', epoch: '', duplicate: false });
      expect(k.offset).toMatch(/^\d+-\d+$/);
      const raw = await received;
      expect(JSON.parse(raw)).toMatchObject({ type: 'event', channel: live, offset: '', epoch: '', event: 'typing', data: { who: 'a' } });
      expect(readLiveFrame(raw)).toMatchObject({ offset: '', event: 'typing' });
      expect(await redis.exists(channelKeys(live).stream, channelKeys(live).meta)).toBe(0);
      expect(await redis.exists(channelKeys(kept).stream)).toBe(1);
    } finally {
      listener.disconnect();
    }
  });

  it('a replay reads entries written before the frame tail was stored whole (fields e, d, t) as it reads new ones', async () => {
    const { redis, publisher } = publisherOn();
    const channel = userChannel(uniqueId('old'));
    const first = await publisher.publish(channel, 'n', { n: 1 }, { countConnections: false });
    await redis.xadd(channelKeys(channel).stream, '*', 'e', 'old', 'd', '{"n":2}', 't', '1700000000000.5');
    await publisher.publish(channel, 'n', { n: 3, text: 'a "quoted", \\ text' }, { countConnections: false });
    const history = await readHistory(redis, channel, first.offset, first.epoch);
    expect(history.recovered).toBe(true);
    expect(history.events.map((e) => [e.event, e.data])).toEqual([
      ['old', { n: 2 }],
      ['n', { n: 3, text: 'a "quoted", \\ text' }],
    ]);
    expect(history.events[0]!.publishedAt).toBe(1700000000000.5);
    expect(history.events[1]!.publishedAt).toBeGreaterThan(1700000000000);
  });

  it('the script spells a channel’s metadata and dedupe keys from its stream key as channelKeys does', async () => {
    const { redis, publisher } = publisherOn();
    expect(redis.options.keyPrefix).toBeTruthy(); // the names include the environment's prefix
    const channel = userChannel(uniqueId('names'));
    const first = await publisher.publish(channel, 'n', { x: 1 }, { countConnections: false, dedupeId: 'd1' });
    expect(await redis.hget(channelKeys(channel).meta, 'epoch')).toBe(first.epoch);
    expect(await redis.hget(channelKeys(channel).dedupe, 'd1')).toBe(first.offset);
    expect(await redis.ttl(channelKeys(channel).dedupe)).toBeGreaterThan(0);
    // A second publisher (no cached epoch) and a repeated id: the first offset and epoch again.
    const other = createPublisher(redis, { maxLen: 100, ttlSeconds: 60, presence: ctx.presence() });
    expect(await other.publish(channel, 'n', { x: 1 }, { countConnections: false, dedupeId: 'd1' })).toEqual({ ...first, duplicate: true });
  });

  it('an event Redis refuses fails alone: the others of its call are published', async () => {
    const { redis, publisher } = publisherOn();
    const broken = userChannel(uniqueId('broken'));
    const fine = userChannel(uniqueId('fine'));
    // The channel's stream key holds a string: XADD to it fails with WRONGTYPE.
    await redis.set(channelKeys(broken).stream, 'not a stream', 'EX', 60);
    const [bad, good] = await Promise.allSettled([
      publisher.publish(broken, 'n', { x: 1 }, { countConnections: false }),
      publisher.publish(fine, 'n', { x: 2 }, { countConnections: false }),
    ]);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(PublishError);
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(good.status).toBe('fulfilled');
    expect((await readHistory(redis, fine, '0-0')).events.map((e) => e.data)).toEqual([{ x: 2 }]);
  });
});
