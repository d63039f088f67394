import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { redisScript } from '../../platform/clients/redis-script';
import { AppError } from '../../platform/errors';
import { createMicroBatcher } from '../../platform/micro-batch';
import { metrics } from '../../platform/metrics';
import type { Logger } from '../../platform/logger';
import type { TokenVerifier } from '../../platform/auth/jwt';
import { authenticate, type ApiVariables } from './auth';

// Fixed window counters: atomic, each window's expiry set by its first hit. The hits of every
// request read in one turn of the event loop go in one call (the same key twice counts twice): per
// request, a Redis write of its own cost the API about as much CPU as writing the response
// (docs/ledger-hot-path.md). A request's per-IP and per-user hits are one item: KEYS[k] with
// ARGV = window, gate; when gate >= 0 the next key is the user's, counted only if the IP's count is
// within the gate (its limit), as if the IP's limit had been checked first.
const HITS = `
local out = {}
local k = 1
for i = 1, #ARGV, 2 do
  local window, gate = ARGV[i], tonumber(ARGV[i + 1])
  local n = redis.call('INCR', KEYS[k])
  if n == 1 then redis.call('PEXPIRE', KEYS[k], window) end
  out[#out + 1] = n
  out[#out + 1] = redis.call('PTTL', KEYS[k])
  k = k + 1
  if gate >= 0 then
    local m = 0
    local ttl = 0
    if n <= gate then
      m = redis.call('INCR', KEYS[k])
      if m == 1 then redis.call('PEXPIRE', KEYS[k], window) end
      ttl = redis.call('PTTL', KEYS[k])
    end
    out[#out + 1] = m
    out[#out + 1] = ttl
    k = k + 1
  end
end
return out`;
const hits = redisScript(HITS);

/** A request's hit: its first key, and the key counted only when the first is within `gate`. */
interface Hit {
  key: string;
  windowMs: number;
  then?: { key: string; gate: number };
}
/** [count, ttlMs] of the first key, then of the second (0, 0 when it was not counted). */
type Counts = number[];

/** One batcher per Redis client: every request's hits of one turn in one call. */
const batchers = new WeakMap<Redis, (hit: Hit) => Promise<Counts>>();
function hitterOf(redis: Redis): (hit: Hit) => Promise<Counts> {
  let hitter = batchers.get(redis);
  if (!hitter) {
    hitter = createMicroBatcher<Hit, Counts>({
      maxBatch: 500,
      sendBatch: async (batch) => {
        const keys: string[] = [];
        const args: number[] = [];
        for (const h of batch) {
          keys.push(h.key);
          if (h.then) keys.push(h.then.key);
          args.push(h.windowMs, h.then ? h.then.gate : -1);
        }
        const flat = (await hits(redis, keys, args)) as number[];
        let at = 0;
        return batch.map((h) => {
          const n = h.then ? 4 : 2;
          at += n;
          return flat.slice(at - n, at);
        });
      },
    });
    batchers.set(redis, hitter);
  }
  return hitter;
}

export interface LimitAndAuthenticateOptions {
  redis: Redis;
  log: Logger;
  verify: TokenVerifier;
  windowMs: number;
  /** Requests allowed per window from one client address, whatever their token. */
  perIp: number;
  /** Requests allowed per window for one user (the JWT subject), among those their IP's limit lets through. */
  perUser: number;
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
 * The business routes' gate: the per-IP limit, the JWT, the per-user limit, in that order of
 * precedence (an IP over its limit gets 429 whatever its token, which also stops token guessing),
 * with both counters in Redis, shared by every API instance. Over a limit: 429 with Retry-After.
 * Both hits of a request go to Redis in one call: the request's token is verified first (a cached
 * verification costs no I/O), so the user's key is known, and the script counts it only when the
 * IP's limit lets the request through. Under load, the second round trip a request waited for in
 * turn was most of the time before its handler ran (docs/ledger-hot-path.md).
 *
 * If Redis is unreachable the limits degrade, by route kind: reads fail open (let through: they
 * change nothing, and refusing them would take the API down with Redis), writes are counted by an
 * in-process limiter with the same limits (so a burst of writes is still bounded, per instance). The
 * outage is logged once when it starts and once when it ends, and shown by
 * `tidings_rate_limiter_degraded` and `tidings_rate_limit_fallback_total` on /metrics.
 */
export function limitAndAuthenticate({
  redis,
  log,
  verify,
  windowMs,
  perIp,
  perUser,
}: LimitAndAuthenticateOptions): MiddlewareHandler<{ Variables: ApiVariables }> {
  const outage = outageOf(redis);
  const hit = hitterOf(redis);
  const local = new Map<string, number>();
  let localWindow = -1;
  degradedGauge.set(outage.down ? 1 : 0);

  const countLocally = (key: string, window: number): [number, number] => {
    if (window !== localWindow) {
      local.clear();
      localWindow = window;
    }
    const n = (local.get(key) ?? 0) + 1;
    local.set(key, n);
    return [n, (window + 1) * windowMs - Date.now()];
  };

  /** [count, ttlMs] per key asked for; undefined for a key not counted (the IP was over, or a read during an outage). */
  async function count(method: string, ipKey: string | undefined, userKey: string | undefined, window: number) {
    const first = ipKey ?? userKey;
    if (first === undefined) return {};
    const second = ipKey !== undefined ? userKey : undefined;
    try {
      // Known down and not reconnected yet: decide at once rather than queue each request behind
      // reconnect attempts (seconds each). The first request of an outage finds out the slow way.
      if (outage.down && redis.status !== 'ready') throw new Error(`redis is ${redis.status}`);
      const c = await hit({ key: first, windowMs, then: second === undefined ? undefined : { key: second, gate: perIp } });
      if (outage.down) {
        outage.down = false;
        degradedGauge.set(0);
        log.info('rate limiter: Redis is back; shared counters again');
      }
      const a: [number, number] = [c[0]!, c[1]!];
      const b: [number, number] | undefined = second !== undefined && c[2]! > 0 ? [c[2]!, c[3]!] : undefined;
      return ipKey !== undefined ? { ip: a, user: b } : { user: a };
    } catch (err) {
      if (!outage.down) {
        outage.down = true;
        degradedGauge.set(1);
        log.warn({ err }, 'rate limiter: Redis unreachable; reads let through, writes limited per instance until it is back');
      }
      const policy = READS.has(method) ? 'open' : 'local';
      if (policy === 'open') {
        if (ipKey !== undefined) fallbackTotal.inc({ by: 'ip', policy });
        if (userKey !== undefined) fallbackTotal.inc({ by: 'user', policy });
        return {};
      }
      const ip = ipKey !== undefined ? countLocally(ipKey, window) : undefined;
      if (ipKey !== undefined) fallbackTotal.inc({ by: 'ip', policy });
      const user = userKey !== undefined && (ip === undefined || ip[0] <= perIp) ? countLocally(userKey, window) : undefined;
      if (user) fallbackTotal.inc({ by: 'user', policy });
      return { ip, user };
    }
  }

  const refuseOver = (c: HonoContext, by: 'ip' | 'user', limit: number, [n, ttlMs]: [number, number]) => {
    c.header('RateLimit-Limit', String(limit));
    c.header('RateLimit-Remaining', String(Math.max(0, limit - n)));
    if (n <= limit) return;
    const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000));
    c.header('Retry-After', String(retryAfter));
    throw new AppError(429, 'rate_limited', `too many requests for this ${by}; retry in ${retryAfter} s`, { retryAfterSeconds: retryAfter });
  };

  return async (c, next) => {
    const auth = await authenticate(c.req.header('authorization'), verify);
    const window = Math.floor(Date.now() / windowMs);
    const ip = clientIp(c);
    const ipKey = ip === undefined ? undefined : `ratelimit:ip:${ip}:${window}`;
    const userKey = 'principal' in auth ? `ratelimit:user:${auth.principal.userId}:${window}` : undefined;
    const counts = await count(c.req.method, ipKey, userKey, window);
    if (counts.ip) refuseOver(c, 'ip', perIp, counts.ip);
    if ('refusal' in auth) {
      c.header('WWW-Authenticate', auth.challenge);
      throw auth.refusal;
    }
    c.set('principal', auth.principal);
    if (counts.user) refuseOver(c, 'user', perUser, counts.user);
    await next();
  };
}
