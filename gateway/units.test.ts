import { describe, expect, it } from 'vitest';
import { bearerToken, extractUpgradeToken } from '../platform/auth/jwt';
import { inNamespaces } from '../contracts/channels';
import { createChannelAuthorization } from './authorize';
import { compareOffsets, LastOffset } from './offsets';
import { readLiveFrame } from './publisher';
import { TokenBucket } from './rate-limit';

describe('compareOffsets', () => {
  it('orders by time, then sequence, numerically', () => {
    expect(compareOffsets('2-0', '10-0')).toBeLessThan(0);
    expect(compareOffsets('5-10', '5-9')).toBeGreaterThan(0);
    expect(compareOffsets('5-1', '5-1')).toBe(0);
    expect(compareOffsets('1700000000000-99', '1700000000001-0')).toBeLessThan(0);
  });
  it('agrees with the numeric order whether or not the two have the same shape', () => {
    const numeric = (a: string, b: string) => {
      const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
      const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
      return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
    };
    const offsets = [
      '1700000000000-0',
      '1700000000000-9',
      '1700000000001-0',
      '1700000000009-10',
      '1700000000010-01',
      '0999999999999-5',
      '999999999999-5',
      '5-0',
      '10-0',
      '09-3',
    ];
    for (const a of offsets) for (const b of offsets) expect(Math.sign(compareOffsets(a, b)), `${a} vs ${b}`).toBe(Math.sign(numeric(a, b)));
  });
});

describe('LastOffset', () => {
  it('advances only to a later offset, as compareOffsets orders them', () => {
    const offsets = [
      '1700000000000-0',
      '1700000000000-9',
      '1700000000000-10',
      '1700000000001-0',
      '999999999999-5',
      '1700000000001-0',
      '5-0',
      '1800000000000-2',
    ];
    const last = new LastOffset();
    let kept: string | undefined;
    for (const o of offsets) {
      const later = kept === undefined || compareOffsets(o, kept) > 0;
      expect(last.advance(o), o).toBe(later);
      if (later) kept = o;
    }
    expect(kept).toBe('1800000000000-2');
  });
});

describe('readLiveFrame', () => {
  // Written as PUBLISH_SCRIPT writes it (gateway/publisher.test.ts checks the script's own frames).
  const frame = (data: string, extra = '', event = '"purchase.updated"', channel = '"user:alice"') =>
    `{"type":"event","channel":${channel},"offset":"1700000000000-3","epoch":"ab12cd34","event":${event},"data":${data},"publishedAt":1700000000000.125${extra}}`;

  it('reads the offset, event and publish time without parsing the data', () => {
    expect(readLiveFrame(frame('{"n":1}'))).toEqual({ offset: '1700000000000-3', event: 'purchase.updated', publishedAt: 1700000000000.125 });
  });
  it('is not misled by field names inside the data, the event name or the channel', () => {
    const data = JSON.stringify({ note: ',"offset":"9-9","publishedAt":5,"traceparent":"x"', publishedAt: 7 });
    const read = readLiveFrame(frame(data, '', JSON.stringify('odd "name", with \\ marks'), JSON.stringify('user:a,"offset":"1-1"')));
    expect(read).toEqual({ offset: '1700000000000-3', event: 'odd "name", with \\ marks', publishedAt: 1700000000000.125 });
  });
  it('reads the traceparent of a traced publish', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(readLiveFrame(frame('null', `,"traceparent":"${tp}"`))).toEqual({
      offset: '1700000000000-3',
      event: 'purchase.updated',
      publishedAt: 1700000000000.125,
      traceparent: tp,
    });
  });
  it('refuses what is not such a frame', () => {
    for (const raw of ['', 'not json', '{"type":"event"}', frame('1').replace('1700000000000-3', 'abc'), frame('1').replace('1700000000000.125', 'soon')]) {
      expect(readLiveFrame(raw)).toBeUndefined();
    }
  });
  it('reads a live-only frame, whose offset is empty', () => {
    const raw = '{"type":"event","channel":"typing:c","offset":"","epoch":"","event":"typing","data":{},"publishedAt":12.5}';
    expect(readLiveFrame(raw)).toEqual({ offset: '', event: 'typing', publishedAt: 12.5 });
    expect(readLiveFrame(raw.replace('"offset":""', '"offset":"x"'))).toBeUndefined();
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let t = 0;
    const bucket = new TokenBucket(10, 3, () => t);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    t += 100; // one token at 10/s
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    t += 10_000; // never more than the burst
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});

describe('channel authorization', () => {
  const authorize = createChannelAuthorization({ user: (u, id) => id === u, team: async (u, id) => id === 'red' && u === 'alice' });
  it('lets a user read only their own user channel', async () => {
    expect(await authorize('alice', 'user:alice')).toEqual({ ok: true });
    expect(await authorize('alice', 'user:bob')).toEqual({ ok: false, code: 'forbidden' });
  });
  it('asks the namespace hook, and knows no other namespace', async () => {
    expect(await authorize('alice', 'team:red')).toEqual({ ok: true });
    expect(await authorize('bob', 'team:red')).toEqual({ ok: false, code: 'forbidden' });
    expect(await authorize('alice', 'vault:1')).toEqual({ ok: false, code: 'unknown_channel' });
  });
  it("knows no namespace from Object's prototype (constructor:x, tostring:x are valid channel names)", async () => {
    for (const channel of ['constructor:x', 'toString:x', 'hasOwnProperty:x', '__proto__:x', 'valueOf:x']) {
      expect(await authorize('alice', channel)).toEqual({ ok: false, code: 'unknown_channel' });
    }
  });
});

describe('tokens', () => {
  const url = (q = '') => new URL(`http://x/ws${q}`);
  it('a WebSocket upgrade takes the Authorization header, then access_token', () => {
    expect(extractUpgradeToken('Bearer abc', url('?access_token=def'))).toBe('abc');
    expect(extractUpgradeToken(undefined, url('?access_token=def'))).toBe('def');
    expect(extractUpgradeToken('Basic xyz', url())).toBeUndefined();
  });
  it('plain HTTP takes the Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Token abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('inNamespaces', () => {
  it('matches a channel by its namespace only, and nothing when the list is empty', () => {
    const liveOnly = inNamespaces(['typing', 'presence']);
    expect(['typing:c-1', 'presence:u', 'typing:a:b'].every(liveOnly)).toBe(true);
    expect(['user:typing', 'typing', 'typingx:1', ':typing'].some(liveOnly)).toBe(false);
    expect(inNamespaces([])('typing:c-1')).toBe(false);
  });
});
