import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { context, trace } from '@opentelemetry/api';
import { redisScript } from '../platform/clients/redis-script';
import { createMicroBatcher } from '../platform/micro-batch';
import { currentTraceparent, inSpan, SpanKind } from '../platform/trace-context';
import type { EventFrame } from './protocol';
import type { Presence } from './registry';

/**
 * Redis keys of a channel: its bounded history, its metadata (epoch, last id), its pub/sub channel.
 * ioredis prefixes keys with the environment's prefix but not pub/sub channel names, so the
 * pub/sub name carries the prefix itself (`pubsubPrefix`, the client's `options.keyPrefix`).
 */
export const channelKeys = (channel: string, pubsubPrefix = '') => ({
  stream: `stream:{${channel}}`,
  meta: `stream-meta:{${channel}}`,
  dedupe: `stream-dedupe:{${channel}}`,
  pubsub: `${pubsubPrefix}ch:${channel}`,
});

/** The pub/sub prefix of a client: its key prefix (environment), if any. */
export const pubsubPrefixOf = (redis: Redis): string => redis.options.keyPrefix ?? '';

// Appending and publishing in one script makes the stream order and the live order the same, which
// is what lets a recovering subscriber splice history and live events without gap or duplicate.
// Each entry records the id of the entry before it (`p`), so a reader can tell exactly whether
// anything between its offset and the oldest retained entry was trimmed away.
// The epoch is created with the stream and lives as long; a new epoch tells clients that the history
// they hold offsets for is gone (e.g. Redis restarted without persistence).
// Stream and metadata share a hash tag ({channel}); the pub/sub channel is an argument since
// PUBLISH is not slot-bound.
// A publish with a dedupe id that the channel has already seen returns the first publish's offset
// and appends nothing: an activity retried after it published does not notify the user twice.
//
// One call carries every event published in one turn of the event loop (up to MAX_BATCH), for any
// channels: per event it costs Redis one script step instead of one command to parse, dispatch and
// set up, which is most of a publish's cost at high rates. Each event runs under pcall, so an event
// that fails (a key of the wrong type, say) fails alone and the others still go out. Several
// channels in one call need one Redis node: with Redis Cluster, batches would have to be per slot.
// KEYS: stream, meta, dedupe per event. ARGV: maxLen, ttl, then 8 per event (below).
const PUBLISH_SCRIPT = `
local function publishOne(stream, meta, dedupe, maxLen, ttl, event, data, at, newEpoch, channel, pubsub, dedupeId, traceparent)
  if dedupeId ~= '' then
    local seen = redis.call('HGET', dedupe, dedupeId)
    if seen then return {seen, redis.call('HGET', meta, 'epoch') or '', 1} end
  end
  local m = redis.call('HMGET', meta, 'epoch', 'last')
  local epoch = m[1]
  if not epoch then
    epoch = newEpoch
    redis.call('HSET', meta, 'epoch', epoch)
  end
  local prev = m[2] or '0-0'
  local id = redis.call('XADD', stream, 'MAXLEN', '~', maxLen, '*', 'e', event, 'd', data, 't', at, 'p', prev)
  redis.call('HSET', meta, 'last', id)
  redis.call('EXPIRE', stream, ttl)
  redis.call('EXPIRE', meta, ttl)
  local frame = '{"type":"event","channel":' .. cjson.encode(channel) .. ',"offset":"' .. id .. '","epoch":"' .. epoch ..
    '","event":' .. cjson.encode(event) .. ',"data":' .. data .. ',"publishedAt":' .. at ..
    (traceparent ~= '' and (',"traceparent":' .. cjson.encode(traceparent)) or '') .. '}'
  redis.call('PUBLISH', pubsub, frame)
  if dedupeId ~= '' then
    redis.call('HSET', dedupe, dedupeId, id)
    redis.call('EXPIRE', dedupe, ttl)
  end
  return {id, epoch, 0}
end
local out = {}
for i = 0, #KEYS / 3 - 1 do
  local a = 2 + i * 8
  local ok, r = pcall(publishOne, KEYS[i * 3 + 1], KEYS[i * 3 + 2], KEYS[i * 3 + 3], ARGV[1], ARGV[2],
    ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[a + 8])
  if ok then
    out[#out + 1] = r[1]; out[#out + 1] = r[2]; out[#out + 1] = r[3]
  else
    out[#out + 1] = ''; out[#out + 1] = tostring(r.err or r); out[#out + 1] = -1
  end
end
return out
`;
const publishScript = redisScript(PUBLISH_SCRIPT);
/** Events per script call at most: bounds one call's time inside Redis (and its arguments). */
const MAX_BATCH = 128;

/** One event as the script takes it. */
interface Outgoing {
  keys: [string, string, string];
  args: [string, string, string, string, string, string, string, string];
}

/** What the script answered for one event. */
interface Published {
  offset: string;
  epoch: string;
  duplicate: boolean;
}

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
  /** A channel's history expires this long after its last event. */
  ttlSeconds: number;
  presence: Presence;
}

/** Publishes events to channels from any process (activities, API): history + live fan-out. */
export function createPublisher(redis: Redis, { maxLen, ttlSeconds, presence }: PublisherOptions) {
  const pubsubPrefix = pubsubPrefixOf(redis);
  // Everything published in one turn of the event loop, in script calls of up to MAX_BATCH events.
  const submit = createMicroBatcher<Outgoing, Published>({
    maxBatch: MAX_BATCH,
    sendBatch: async (batch) => {
      const keys = batch.flatMap((o) => o.keys);
      const reply = (await publishScript(redis, keys, [String(maxLen), String(ttlSeconds), ...batch.flatMap((o) => o.args)])) as (string | number)[];
      return batch.map((o, i) => {
        const [offset, epochOrError, flag] = [String(reply[i * 3]), String(reply[i * 3 + 1]), Number(reply[i * 3 + 2])];
        return flag === -1 ? new PublishError(o.args[4], epochOrError) : { offset, epoch: epochOrError, duplicate: flag === 1 };
      });
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

  async function send(
    channel: string,
    event: string,
    data: unknown,
    { countConnections = true, dedupeId = '' }: PublishOptions,
    traceparent: string,
  ): Promise<PublishResult> {
    const keys = channelKeys(channel, pubsubPrefix);
    const { offset, epoch, duplicate } = await submit({
      keys: [keys.stream, keys.meta, keys.dedupe],
      args: [
        event,
        JSON.stringify(data ?? null),
        // Sub-millisecond wall-clock time, for the delivery-lag metric and benchmarks.
        (performance.timeOrigin + performance.now()).toFixed(3),
        randomUUID().slice(0, 8),
        channel,
        keys.pubsub,
        dedupeId,
        traceparent,
      ],
    });
    if (!countConnections) return { offset, epoch, duplicate };
    return { offset, epoch, duplicate, connections: await presence.channelConnections(channel) };
  }
}

export type Publisher = ReturnType<typeof createPublisher>;

/** Parses a frame received on pub/sub (written by PUBLISH_SCRIPT). */
export const parseEventFrame = (raw: string): EventFrame => JSON.parse(raw) as EventFrame;
