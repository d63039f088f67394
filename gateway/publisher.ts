import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { context, trace } from '@opentelemetry/api';
import { redisScript } from '../platform/clients/redis-script';
import { createMicroBatcher } from '../platform/micro-batch';
import { currentTraceparent, inSpan, SpanKind } from '../platform/trace-context';
import { inNamespaces } from '../contracts/channels';
import type { LiveFrame } from './protocol';
import type { Presence } from './registry';

/**
 * Redis keys of a channel: its bounded history, its metadata (epoch, last id), its pub/sub channel.
 * ioredis prefixes keys with the environment's prefix but not pub/sub channel names, so the
 * pub/sub name carries the prefix itself (`pubsubPrefix`, the client's `options.keyPrefix`).
 */
export const channelKeys = (channel: string, pubsubPrefix = '') => ({
  stream: streamKey(channel),
  meta: `stream-meta:{${channel}}`,
  dedupe: `stream-dedupe:{${channel}}`,
  pubsub: pubsubName(channel, pubsubPrefix),
});
// The two names every publish needs, apart: the publisher builds only these per event (the script
// spells the others from the stream key when it needs them).
const streamKey = (channel: string) => `stream:{${channel}}`;
const pubsubName = (channel: string, pubsubPrefix: string) => `${pubsubPrefix}ch:${channel}`;

/** The pub/sub prefix of a client: its key prefix (environment), if any. */
export const pubsubPrefixOf = (redis: Redis): string => redis.options.keyPrefix ?? '';

// Appending and publishing in one script makes the stream order and the live order the same, which
// is what lets a recovering subscriber splice history and live events without gap or duplicate.
// The epoch is created with the stream and lives as long; a new epoch tells clients that the history
// they hold offsets for is gone (e.g. Redis restarted without persistence).
// Stream and metadata share a hash tag ({channel}); the pub/sub channel name comes as an argument
// since PUBLISH is not slot-bound.
//
// Per event the common path is one XADD, the frame and one PUBLISH: the publisher sends the
// channel's epoch when it read it less than `refreshEvery` (a tenth of the TTL) ago, and the
// script appends with NOMKSTREAM, which fails only when the stream is gone (expired, deleted, Redis
// lost its data). Otherwise (first event from this process, cache too old, stream gone) it reads or
// creates the epoch and refreshes both expiries; the answer then carries the epoch, which the
// publisher caches again. So a channel's history lives its TTL after its last event, give or take
// a tenth, and the stream cannot expire while a publisher trusts its cached epoch (it was refreshed
// less than a tenth of the TTL before). Readers find the last id and whether history was trimmed
// from the stream itself (XINFO, gateway/history.ts).
// The publisher builds the frame around the two things only the script knows (offset and epoch):
// `head` is the frame up to the offset, `tail` everything after the epoch (event, data, publish
// time, trace context), and the entry stores the tail as its one field `f`, which a replay reads
// back (gateway/history.ts). Encoding names and splicing strings in Lua, three fields per entry,
// the metadata read and the last-id write were over half of the script's cost per event
// (docs/gateway-hot-path.md).
// A publish with a dedupe id that the channel has already seen returns the first publish's offset
// and appends nothing: an activity retried after it published does not notify the user twice.
//
// One call carries every event published in one turn of the event loop (up to MAX_BATCH), for any
// channels: per event it costs Redis one script step instead of one command to parse, dispatch and
// set up, which is most of a publish's cost at high rates. An event that fails (a key of the wrong
// type, say) fails alone and the others still go out: the loop runs under one pcall and starts a
// new one after the event that failed. Several channels in one call need one Redis node: with
// Redis Cluster, batches would have to be per slot.
// What travels per event: the stream key (KEYS) and in ARGV the head, the tail, the pub/sub
// channel, the dedupe id ('' for none) and the known epoch ('' when unknown, '!' for a channel of a
// live-only namespace, which gets no history at all). The metadata and dedupe keys (channelKeys)
// are spelled here from the stream key and the key prefix, on the paths that touch them only: every
// string sent per event costs the publisher, the wire and Redis, while spelling the pub/sub name
// here, which every event needs, cost Redis more than receiving it (bench/probes/pubsub-batch.ts).
// ARGV: key prefix, maxLen, ttl, the epoch of a channel first seen in this call, then 5 per event.
// The answer per event is its offset alone on the common path (the epoch is the one sent), else
// {offset, epoch, flag}: 1 duplicate, 2 epoch read or created (cache it), -1 failed (epoch = error).
const PUBLISH_SCRIPT = `
local prefix, maxLen, ttl, newEpoch = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local braceAt = #prefix + 8
local function named(kind, stream) return prefix .. kind .. string.sub(stream, braceAt) end
local function publishOne(i)
  local stream = KEYS[i]
  local a = 4 + (i - 1) * 5
  local head, tail, pubsub, dedupeId, epoch = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  if dedupeId ~= '' then
    local seen = redis.call('HGET', named('stream-dedupe:', stream), dedupeId)
    if seen then return {seen, redis.call('HGET', named('stream-meta:', stream), 'epoch') or '', 1} end
  end
  local id = false
  local refreshed = false
  if epoch == '!' then
    -- A live-only namespace: no history, so no offset or epoch either.
    epoch = ''
    id = ''
  elseif epoch ~= '' then
    id = redis.call('XADD', stream, 'NOMKSTREAM', 'MAXLEN', '~', maxLen, '*', 'f', tail)
  end
  if not id then
    local meta = named('stream-meta:', stream)
    epoch = redis.call('HGET', meta, 'epoch')
    if not epoch then
      epoch = newEpoch
      redis.call('HSET', meta, 'epoch', epoch)
    end
    id = redis.call('XADD', stream, 'MAXLEN', '~', maxLen, '*', 'f', tail)
    redis.call('EXPIRE', stream, ttl)
    redis.call('EXPIRE', meta, ttl)
    refreshed = true
  end
  redis.call('PUBLISH', pubsub, head .. id .. '","epoch":"' .. epoch .. '"' .. tail)
  if dedupeId ~= '' then
    local dedupe = named('stream-dedupe:', stream)
    redis.call('HSET', dedupe, dedupeId, id)
    redis.call('EXPIRE', dedupe, ttl)
  end
  if refreshed then return {id, epoch, 2} end
  return id
end
local out = {}
local count = #KEYS
local i = 1
while i <= count do
  local ok, err = pcall(function()
    while i <= count do
      out[i] = publishOne(i)
      i = i + 1
    end
  end)
  if not ok then
    out[i] = {'', tostring(type(err) == 'table' and err.err or err), -1}
    i = i + 1
  end
end
return out
`;
const publishScript = redisScript(PUBLISH_SCRIPT);
/** Events per script call at most: bounds one call's time inside Redis (and its arguments). */
const MAX_BATCH = 128;
/** Channels whose epoch a publisher remembers at most (about 100 bytes each). */
const MAX_KNOWN_EPOCHS = 100_000;

/** One event as the script takes it. */
interface Outgoing {
  channel: string;
  /** The stream key and the pub/sub channel (channelKeys). */
  stream: string;
  pubsub: string;
  head: string;
  tail: string;
  dedupeId: string;
}

/** What the script answers per event: its offset, or {offset, epoch, flag} off the common path. */
type ScriptAnswer = string | [string, string, number];

/** A publish Redis refused for this event alone (the others of its call went out). */
export class PublishError extends Error {
  constructor(channel: string, reason: string) {
    super(`publishing to ${channel} failed: ${reason}`);
    this.name = 'PublishError';
  }
}

export interface PublishResult {
  offset: string;
  epoch: string;
  /** Live connections subscribed to the channel on all gateway instances, at publish time. */
  connections?: number;
  /** True when a dedupe id had been published before: nothing new was sent. */
  duplicate: boolean;
}

export interface PublishOptions {
  /** Skip the presence lookup (one fewer Redis round trip). */
  countConnections?: boolean;
  /** Publish at most once per channel and id (within the channel's history TTL). */
  dedupeId?: string;
}

export interface PublisherOptions {
  /** Approximate number of events kept per channel for recovery. */
  maxLen: number;
  /** Namespaces whose channels get no history (GATEWAY_LIVE_ONLY_NAMESPACES): no stream append, nothing to recover. */
  liveOnlyNamespaces?: readonly string[];
  /** A channel's history expires this long after its last event. */
  ttlSeconds: number;
  presence: Presence;
}

/** Publishes events to channels from any process (activities, API): history + live fan-out. */
export function createPublisher(redis: Redis, { maxLen, ttlSeconds, presence, liveOnlyNamespaces = [] }: PublisherOptions) {
  const isLiveOnly = inNamespaces(liveOnlyNamespaces);
  const pubsubPrefix = pubsubPrefixOf(redis);
  const refreshEveryMs = Math.max(1, Math.floor(ttlSeconds / 10)) * 1000;
  // channel -> its epoch and when this process last refreshed its expiries (script flag 2).
  const knownEpochs = new Map<string, { epoch: string; refreshedAt: number }>();
  const knownEpochOf = (channel: string, now: number): string => {
    const known = knownEpochs.get(channel);
    return known && now - known.refreshedAt < refreshEveryMs ? known.epoch : '';
  };
  const remember = (channel: string, epoch: string, now: number) => {
    knownEpochs.delete(channel); // re-inserted last: the Map's order is the order of refreshes
    knownEpochs.set(channel, { epoch, refreshedAt: now });
    // Bounded: the oldest entries go first; forgetting one only costs its channel one slow path.
    if (knownEpochs.size > MAX_KNOWN_EPOCHS) knownEpochs.delete(knownEpochs.keys().next().value!);
  };
  // Everything published in one turn of the event loop, in script calls of up to MAX_BATCH events.
  const submit = createMicroBatcher<Outgoing, PublishResult>({
    maxBatch: MAX_BATCH,
    sendBatch: async (batch) => {
      const now = Date.now();
      const n = batch.length;
      const keys = new Array<string>(n);
      const args = new Array<string>(4 + n * 5);
      args[0] = pubsubPrefix;
      args[1] = String(maxLen);
      args[2] = String(ttlSeconds);
      args[3] = randomUUID().slice(0, 8);
      const sentEpochs = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const o = batch[i]!;
        const epoch = isLiveOnly(o.channel) ? '!' : knownEpochOf(o.channel, now);
        sentEpochs[i] = epoch;
        keys[i] = o.stream;
        const a = 4 + i * 5;
        args[a] = o.head;
        args[a + 1] = o.tail;
        args[a + 2] = o.pubsub;
        args[a + 3] = o.dedupeId;
        args[a + 4] = epoch;
      }
      const reply = (await publishScript(redis, keys, args)) as ScriptAnswer[];
      const results = new Array<PublishResult | Error>(n);
      for (let i = 0; i < n; i++) {
        const answer = reply[i]!;
        if (typeof answer === 'string') {
          const sent = sentEpochs[i]!;
          results[i] = { offset: answer, epoch: sent === '!' ? '' : sent, duplicate: false };
          continue;
        }
        const [offset, epochOrError, flag] = answer;
        const channel = batch[i]!.channel;
        if (Number(flag) === -1) results[i] = new PublishError(channel, String(epochOrError));
        else {
          if (Number(flag) === 2) remember(channel, String(epochOrError), now);
          results[i] = { offset: String(offset), epoch: String(epochOrError), duplicate: Number(flag) === 1 };
        }
      }
      return results;
    },
  });

  return {
    async publish(channel: string, event: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
      // Inside a journey's trace the push is a span of it, and the live frame carries its
      // `traceparent` so the gateway's delivery joins it too; a push outside any trace makes none.
      if (!trace.getSpan(context.active())?.isRecording()) return send(channel, event, data, options, '');
      return inSpan(
        `push ${event}`,
        { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'redis', 'messaging.destination.name': channel, 'tidings.event': event } },
        async (span) => {
          const r = await send(channel, event, data, options, currentTraceparent() ?? '');
          span.setAttributes({ 'tidings.offset': r.offset, 'tidings.duplicate': r.duplicate });
          return r;
        },
      );
    },
  };

  function send(
    channel: string,
    event: string,
    data: unknown,
    { countConnections = true, dedupeId = '' }: PublishOptions,
    traceparent: string,
  ): Promise<PublishResult> {
    // Sub-millisecond wall-clock time, for the delivery-lag metric and benchmarks.
    const publishedAt = (performance.timeOrigin + performance.now()).toFixed(3);
    const published = submit({
      channel,
      stream: streamKey(channel),
      pubsub: pubsubName(channel, pubsubPrefix),
      head: `{"type":"event","channel":${JSON.stringify(channel)},"offset":"`,
      tail: `,"event":${JSON.stringify(event)},"data":${JSON.stringify(data ?? null)},"publishedAt":${publishedAt}${
        traceparent ? `,"traceparent":${JSON.stringify(traceparent)}` : ''
      }}`,
      dedupeId,
    });
    if (!countConnections) return published;
    return published.then(async (r) => ({ ...r, connections: await presence.channelConnections(channel) }));
  }
}

export type Publisher = ReturnType<typeof createPublisher>;

const OFFSET_FIELD = ',"offset":"';
const EVENT_FIELD = ',"event":';
const DATA_FIELD = ',"data":';
const PUBLISHED_AT_FIELD = ',"publishedAt":';
const TRACEPARENT_FIELD = ',"traceparent":"';

/**
 * Reads what routing needs from a frame received on pub/sub, by position in the text the
 * publisher and PUBLISH_SCRIPT write, without parsing the event's data: at tens of thousands of frames a second,
 * JSON.parse of every frame was the gateway's largest cost of its own. Field names cannot occur
 * inside the JSON strings before them (their quotes would be escaped), and after the data come only
 * `publishedAt` and `traceparent`, so the last `publishedAt` is the script's. Undefined when the
 * text is not such a frame.
 */
export function readLiveFrame(raw: string): LiveFrame | undefined {
  const o = raw.indexOf(OFFSET_FIELD);
  if (o < 0) return undefined;
  const offsetEnd = raw.indexOf('"', o + OFFSET_FIELD.length);
  const e = raw.indexOf(EVENT_FIELD, offsetEnd);
  const d = raw.indexOf(DATA_FIELD, e);
  const p = raw.lastIndexOf(PUBLISHED_AT_FIELD);
  if (offsetEnd < 0 || e < 0 || d < 0 || p < d) return undefined;
  const offset = raw.slice(o + OFFSET_FIELD.length, offsetEnd);
  const t = raw.indexOf(TRACEPARENT_FIELD, p);
  const publishedAt = Number(raw.slice(p + PUBLISHED_AT_FIELD.length, t < 0 ? raw.length - 1 : t));
  const event = jsonString(raw.slice(e + EVENT_FIELD.length, d));
  // An empty offset: an event of a live-only namespace, in no history.
  if ((offset !== '' && !/^\d+-\d+$/.test(offset)) || event === undefined || !Number.isFinite(publishedAt)) return undefined;
  const frame: LiveFrame = { offset, event, publishedAt };
  if (t >= 0) frame.traceparent = raw.slice(t + TRACEPARENT_FIELD.length, -2);
  return frame;
}

/** A JSON string literal's value; undefined if `text` is not one. Plain names skip JSON.parse. */
function jsonString(text: string): string | undefined {
  if (text.length < 2 || text[0] !== '"' || text[text.length - 1] !== '"') return undefined;
  if (!text.includes('\\')) return text.slice(1, -1);
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
