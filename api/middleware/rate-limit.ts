import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { AppError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import type { ApiVariables } from './auth';

// Fixed window counter: one round trip, atomic, the window's expiry set by its first hit.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

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

/**
 * Limits requests per user or per IP across every API instance (the counters live in Redis).
 * Over the limit: 429 with Retry-After. If Redis is unreachable the request is let through and
 * the outage logged: the limiter protects capacity, it must not take the API down with it.
 */
export function rateLimit({ redis, log, limit, windowMs, by }: RateLimitOptions): MiddlewareHandler<{ Variables: ApiVariables }> {
  return async (c, next) => {
    const subject = by === 'user' ? c.get('principal').userId : clientIp(c);
    if (subject === undefined) return next();
    const window = Math.floor(Date.now() / windowMs);
    let count = 0;
    let ttlMs = windowMs;
    try {
      [count, ttlMs] = (await redis.eval(HIT, 1, `ratelimit:${by}:${subject}:${window}`, String(windowMs))) as [number, number];
    } catch (err) {
      log.warn({ err, by }, 'rate limiter unavailable; request allowed');
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
