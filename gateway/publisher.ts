import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { context, trace } from '@opentelemetry/api';
import { redisScript } from '../platform/clients/redis-script';
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
// Stream and metadata share a hash tag ({channel}) so the script stays in one Redis Cluster slot;
// the pub/sub channel is an argument since PUBLISH is not slot-bound.
// A publish with a dedupe id that the channel has already seen returns the first publish's offset
// and appends nothing: an activity retried after it published does not notify the user twice.
const PUBLISH_SCRIPT = `
if ARGV[9] ~= '' then
  local seen = redis.call('HGET', KEYS[3], ARGV[9])
  if seen then return {seen, redis.call('HGET', KEYS[2], 'epoch') or '', 1} end
end
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'last')
local epoch = meta[1]
if not epoch then
  epoch = ARGV[5]
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local prev = meta[2] or '0-0'
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2], 'd', ARGV[3], 't', ARGV[4], 'p', prev)
redis.call('HSET', KEYS[2], 'last', id)
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
local frame = '{"type":"event","channel":' .. cjson.encode(ARGV[7]) .. ',"offset":"' .. id .. '","epoch":"' .. epoch ..
  '","event":' .. cjson.encode(ARGV[2]) .. ',"data":' .. ARGV[3] .. ',"publishedAt":' .. ARGV[4] ..
  (ARGV[10] ~= '' and (',"traceparent":' .. cjson.encode(ARGV[10])) or '') .. '}'
redis.call('PUBLISH', ARGV[8], frame)
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[9], id)
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
return {id, epoch, 0}
`;
const publishScript = redisScript(PUBLISH_SCRIPT, 3);

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
    const json = JSON.stringify(data ?? null);
    const [offset, epoch, dup] = (await publishScript(
      redis,
      keys.stream,
      keys.meta,
      keys.dedupe,
      String(maxLen),
      event,
      json,
      // Sub-millisecond wall-clock time, for the delivery-lag metric and benchmarks.
      (performance.timeOrigin + performance.now()).toFixed(3),
      randomUUID().slice(0, 8),
      String(ttlSeconds),
      channel,
      keys.pubsub,
      dedupeId,
      traceparent,
    )) as [string, string, number];
    const duplicate = dup === 1;
    if (!countConnections) return { offset, epoch, duplicate };
    return { offset, epoch, duplicate, connections: await presence.channelConnections(channel) };
  }
}

export type Publisher = ReturnType<typeof createPublisher>;

/** Parses a frame received on pub/sub (written by PUBLISH_SCRIPT). */
export const parseEventFrame = (raw: string): EventFrame => JSON.parse(raw) as EventFrame;
