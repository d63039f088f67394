import type { Redis } from 'ioredis';
import type { EventFrame } from './protocol';
import { compareOffsets } from './offsets';
import { channelKeys } from './publisher';

export interface History {
  /** True when every event after `since` is in `events` (or no `since` was asked for). */
  recovered: boolean;
  /** Events after `since`, oldest first (empty when not recovered). */
  events: EventFrame[];
  /** The channel's latest offset (`0-0` for a channel that never published). */
  offset: string;
  epoch: string;
}

/** The fields of XINFO STREAM recovery needs; absent when the stream does not exist. */
interface StreamInfo {
  lastId: string;
  /** The oldest entry still kept. */
  firstKept?: string;
  /** Entries trimmed away since the stream was created (NaN before Redis 7, which does not say). */
  trimmed: number;
}

function streamInfo(reply: unknown): StreamInfo | undefined {
  if (!Array.isArray(reply)) return undefined;
  const f = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) f.set(String(reply[i]), reply[i + 1]);
  const firstEntry = f.get('first-entry');
  const firstKept = Array.isArray(firstEntry) ? String(firstEntry[0]) : undefined;
  return { lastId: String(f.get('last-generated-id') ?? '0-0'), firstKept, trimmed: Number(f.get('entries-added')) - Number(f.get('length')) };
}

/**
 * Reads what a channel published after `since`, exactly: one transaction reads the epoch, the
 * stream's state and the entries after `since`, so no publish falls between them. Trimming drops
 * the oldest entries, so the kept ones are a suffix of everything appended: nothing after `since`
 * is missing iff `since` is at or after the oldest kept entry, or nothing was ever trimmed. (A
 * client whose `since` is exactly the last trimmed entry is told recovered:false and refetches;
 * knowing that precisely would cost the publisher a write per event.)
 */
export async function readHistory(redis: Redis, channel: string, since?: string, epoch?: string, limit = 10_000): Promise<History> {
  const keys = channelKeys(channel);
  // ioredis does not know where XINFO's key is, so it does not add the key prefix itself.
  const tx = redis
    .multi()
    .hget(keys.meta, 'epoch')
    .xinfo('STREAM', `${redis.options.keyPrefix ?? ''}${keys.stream}`);
  if (since !== undefined) tx.xrange(keys.stream, `(${since}`, '+', 'COUNT', limit);
  const replies = (await tx.exec()) ?? [];
  const [[epochErr, epochReply] = [null, null], [, infoReply] = [null, null], [rangeErr, rangeReply] = [null, []]] = replies;
  // XINFO fails when the stream does not exist: the channel never published (or its history is gone).
  if (epochErr) throw epochErr;
  if (rangeErr) throw rangeErr;
  const currentEpoch = typeof epochReply === 'string' ? epochReply : '';
  const info = streamInfo(infoReply);
  const offset = info?.lastId ?? '0-0';
  const result = (recovered: boolean, events: EventFrame[] = []): History => ({ recovered, events, offset, epoch: currentEpoch });
  if (since === undefined) return result(true);
  // A client that subscribed before the channel's first event holds `0-0` with no epoch (none
  // existed yet): everything since the channel began is what it missed, still exact when nothing
  // was trimmed. Any other epoch mismatch is a lost history.
  const beforeFirstEvent = since === '0-0' && (epoch === '' || epoch === undefined);
  if (epoch !== undefined && epoch !== currentEpoch && !beforeFirstEvent) return result(false);
  const ahead = compareOffsets(since, offset);
  if (ahead > 0) return result(false); // an offset this channel never issued
  if (ahead === 0) return result(true); // nothing missed
  const events: EventFrame[] = [];
  for (const [id, fields] of rangeReply as [string, string[]][]) {
    events.push({ type: 'event', channel, offset: id, epoch: currentEpoch, ...storedEvent(fields) });
  }
  const gapFree = info?.firstKept !== undefined && (compareOffsets(since, info.firstKept) >= 0 || info.trimmed === 0);
  // More than `limit` missed events is too far behind to replay: the client refetches state instead.
  const complete = events.at(-1)?.offset === offset;
  return gapFree && complete ? result(true, events) : result(false);
}

/**
 * A stream entry's event, from its fields as XRANGE answers them: the frame's tail the publisher wrote (`f`: `,"event":…,"data":…,"publishedAt":…`,
 * gateway/publisher.ts), or, in streams written before that, its three fields `e`, `d`, `t`.
 */
export function storedEvent(fields: string[]): Pick<EventFrame, 'event' | 'data' | 'publishedAt'> {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  if (f.f !== undefined) {
    const { event, data, publishedAt } = JSON.parse(`{${f.f.slice(1)}`) as { event: string; data: unknown; publishedAt: number };
    return { event, data, publishedAt };
  }
  return { event: f.e ?? '', data: JSON.parse(f.d ?? 'null') as unknown, publishedAt: Number(f.t) };
}
