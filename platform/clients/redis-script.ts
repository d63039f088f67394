import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run by its SHA (EVALSHA), its text sent only when Redis does not have it yet (first
 * use, or after Redis restarted or flushed its script cache). EVAL would send the whole text with
 * every call: on hot paths (a publish per event, a rate-limit hit per request) that is the larger
 * part of the bytes written, parsed and hashed per call.
 */
export function redisScript(lua: string) {
  const sha = createHash('sha1').update(lua).digest('hex');
  // Keys are passed as keys (not arguments) so that the client's key prefix applies to them.
  return async function run(redis: Redis, keys: string[], args: (string | number)[] = []): Promise<unknown> {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}
