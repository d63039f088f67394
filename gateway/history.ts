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

/**
 * Reads what a channel published after `since`. Recovery is exact, not a guess: each entry carries
 * its predecessor's id, so history is complete iff the first entry still kept after `since` follows
 * `since` directly (nothing in between was trimmed), and the epoch is the one the client saw.
 */
export async function readHistory(redis: Redis, channel: string, since?: string, epoch?: string, limit = 10_000): Promise<History> {
  const keys = channelKeys(channel);
  const [currentEpoch = '', offset = '0-0'] = (await redis.hmget(keys.meta, 'epoch', 'last')).map((v) => v ?? undefined);
  const result = (recovered: boolean, events: EventFrame[] = []): History => ({ recovered, events, offset, epoch: currentEpoch });
  if (since === undefined) return result(true);
  // A client that subscribed before the channel's first event holds `0-0` with no epoch (none
  // existed yet): everything since the channel began is what it missed, still exact, as the first
  // entry's predecessor says whether anything was trimmed. Any other epoch mismatch is a lost history.
  const beforeFirstEvent = since === '0-0' && (epoch === '' || epoch === undefined);
  if (epoch !== undefined && epoch !== currentEpoch && !beforeFirstEvent) return result(false);
  const ahead = compareOffsets(since, offset);
  if (ahead > 0) return result(false); // an offset this channel never issued
  if (ahead === 0) return result(true); // nothing missed
  const entries = (await redis.xrange(keys.stream, `(${since}`, '+', 'COUNT', limit)) as [string, string[]][];
  const events: EventFrame[] = [];
  let firstPredecessor: string | undefined;
  for (const [id, fields] of entries) {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    firstPredecessor ??= f.p ?? '0-0';
    events.push({
      type: 'event',
      channel,
      offset: id,
      epoch: currentEpoch,
      event: f.e ?? '',
      data: JSON.parse(f.d ?? 'null') as unknown,
      publishedAt: Number(f.t),
    });
  }
  const gapFree = firstPredecessor !== undefined && compareOffsets(firstPredecessor, since) <= 0;
  // More than `limit` missed events is too far behind to replay: the client refetches state instead.
  const complete = events.at(-1)?.offset === offset;
  return gapFree && complete ? result(true, events) : result(false);
}
