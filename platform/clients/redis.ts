import { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { namesOf } from '../names';

export { Redis };

/**
 * An ioredis client that keeps reconnecting forever (Redis coming back must heal the process
 * without a restart) but fails a command after one retry while disconnected instead of queueing it
 * for ever. An outage is logged once when it starts and once when it ends, not per attempt.
 * Every key is prefixed with the environment's prefix (ioredis applies it to KEYS of commands and
 * scripts; pub/sub channels and SCAN patterns take it from `redis.options.keyPrefix` explicitly).
 * Commands issued in one turn of the event loop leave in one socket write (auto-pipelining): a
 * request's rate-limit check, a publish and a presence read no longer pay a write each, and on this
 * project's machines a write costs more than the command (docs/benchmarks.md, chat). A client that
 * only subscribes gains nothing from it (`autoPipelining: false`).
 */
export function createRedis(config: Config, log: Logger, name = 'tidings', { keyPrefix = namesOf(config).redisPrefix, autoPipelining = true } = {}): Redis {
  const redis = new Redis(config.REDIS_URL, {
    connectionName: name,
    keyPrefix,
    enableAutoPipelining: autoPipelining,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: err.message, url: config.REDIS_URL }, 'redis unavailable; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ url: config.REDIS_URL }, 'redis reconnected');
  });
  return redis;
}

/** Closes politely when connected, at once otherwise (QUIT would wait for a reconnect). */
export const closeRedis = async (redis: Redis): Promise<void> => {
  if (redis.status === 'ready') {
    // The server may vanish between the status check and QUIT's reply.
    await redis.quit().catch(() => redis.disconnect());
  } else redis.disconnect();
};
