import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { redisScript } from '../../platform/clients/redis-script';
import { AppError } from '../../platform/errors';
import { createMicroBatcher } from '../../platform/micro-batch';
import { metrics } from '../../platform/metrics';
import type { Logger } from '../../platform/logger';
import type { ApiVariables } from './auth';

// Fixed window counters: atomic, each window's expiry set by its first hit. The hits of every
// request read in one turn of the event loop go in one call (KEYS[i] with its window ARGV[i]; the
// same key twice counts twice): per request, a Redis write of its own cost the API about as much
// CPU as writing the response (docs/ledger-hot-path.md).
const HITS = `
local out = {}
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[i]) end
  out[2 * i - 1] = n
  out[2 * i] = redis.call('PTTL', KEYS[i])
end
return out`;
const hits = redisScript(HITS);

interface Hit {
  key: string;
  windowMs: number;
}
/** One batcher per Redis client: the per-IP and per-user limiters of a request share its calls. */
const batchers = new WeakMap<Redis, (hit: Hit) => Promise<[count: number, ttlMs: number]>>();
function hitterOf(redis: Redis): (hit: Hit) => Promise<[count: number, ttlMs: number]> {
  let hitter = batchers.get(redis);
  if (!hitter) {
    hitter = createMicroBatcher<Hit, [number, number]>({
      maxBatch: 500,
      sendBatch: async (batch) => {
        const flat = (await hits(
          redis,
          batch.map((h) => h.key),
          batch.map((h) => h.windowMs),
        )) as number[];
        return batch.map((_, i): [number, number] => [flat[2 * i]!, flat[2 * i + 1]!]);
      },
    });
    batchers.set(redis, hitter);
  }
  return hitter;
}

export interface RateLimitOptions {
  redis: Redis;
  log: Logger;
  /** Requests allowed per window and key. */
  limit: number;
  windowMs: number;
  /** `user` keys by the JWT subject (mount after requireJwt); `ip` by the client address. */
  by: 'user' | 'ip';
}

function clientIp(c: HonoContext): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // a request made in-process (app.request) has no socket and no address
  }
}

/** While the limiters' Redis is unreachable: 1, else 0. */
const degradedGauge = new Gauge({
  name: 'tidings_rate_limiter_degraded',
  help: 'Rate limiters running without Redis (1) or with it (0)',
  registers: [metrics],
});
/** Requests decided without Redis: `open` (reads let through) or `local` (writes counted in-process). */
const fallbackTotal = new Counter({
  name: 'tidings_rate_limit_fallback_total',
  help: 'Requests rate limited without Redis, by policy',
  labelNames: ['by', 'policy'] as const,
  registers: [metrics],
});

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a Redis client is known to be down, shared by every limiter using it (per IP and per user
 * see the same outage): the start and the end of an outage are each logged once, not per limiter.
 */
const outages = new WeakMap<Redis, { down: boolean }>();
const outageOf = (redis: Redis) => {
  let outage = outages.get(redis);
  if (!outage) outages.set(redis, (outage = { down: false }));
  return outage;
};

/**
 * Limits requests per user or per IP across every API instance (the counters live in Redis).
 * Over the limit: 429 with Retry-After.
 *
 * If Redis is unreachable the limiter degrades, by route kind: reads fail open (let through: they
 * change nothing, and refusing them would take the API down with Redis), writes are counted by an
 * in-process limiter with the same limit (so a burst of writes is still bounded, per instance). The
 * outage is logged once when it starts and once when it ends, and shown by
 * `tidings_rate_limiter_degraded` and `tidings_rate_limit_fallback_total` on /metrics.
 */
export function rateLimit({ redis, log, limit, windowMs, by }: RateLimitOptions): MiddlewareHandler<{ Variables: ApiVariables }> {
  const outage = outageOf(redis);
  const hit = hitterOf(redis);
  const local = new Map<string, number>();
  let localWindow = -1;
  degradedGauge.set(outage.down ? 1 : 0);

  const countLocally = (key: string, window: number): number => {
    if (window !== localWindow) {
      local.clear();
      localWindow = window;
    }
    const n = (local.get(key) ?? 0) + 1;
    local.set(key, n);
    return n;
  };

  return async (c, next) => {
    const subject = by === 'user' ? c.get('principal').userId : clientIp(c);
    if (subject === undefined) return next();
    const window = Math.floor(Date.now() / windowMs);
    const key = `ratelimit:${by}:${subject}:${window}`;
    let count = 0;
    let ttlMs = windowMs;
    try {
      // Known down and not reconnected yet: decide at once rather than queue each request behind
      // reconnect attempts (seconds each). The first request of an outage finds out the slow way.
      if (outage.down && redis.status !== 'ready') throw new Error(`redis is ${redis.status}`);
      [count, ttlMs] = await hit({ key, windowMs });
      if (outage.down) {
        outage.down = false;
        degradedGauge.set(0);
        log.info('rate limiter: Redis is back; shared counters again');
      }
    } catch (err) {
      if (!outage.down) {
        outage.down = true;
        degradedGauge.set(1);
        log.warn({ err }, 'rate limiter: Redis unreachable; reads let through, writes limited per instance until it is back');
      }
      const policy = READS.has(c.req.method) ? 'open' : 'local';
      fallbackTotal.inc({ by, policy });
      if (policy === 'open') return next();
      count = countLocally(key, window);
      ttlMs = (window + 1) * windowMs - Date.now();
    }
    c.header('RateLimit-Limit', String(limit));
    c.header('RateLimit-Remaining', String(Math.max(0, limit - count)));
    if (count > limit) {
      const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000));
      c.header('Retry-After', String(retryAfter));
      throw new AppError(429, 'rate_limited', `too many requests for this ${by}; retry in ${retryAfter} s`, { retryAfterSeconds: retryAfter });
    }
    await next();
  };
}
