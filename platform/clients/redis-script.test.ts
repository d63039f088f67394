import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { testContext } from '../../test/support/context';
import { redisScript } from './redis-script';

// On the real Redis: a script new to the server is sent once (NOSCRIPT, then EVAL), afterwards only
// its SHA; keys get the client's environment prefix either way.
describe('redisScript', () => {
  const ctx = testContext();
  afterAll(() => ctx.lifecycle.close());

  it('sends the text only when Redis lacks the script, and prefixes keys', async () => {
    const redis = ctx.redis();
    // A comment no other script has: new to this Redis, whatever ran before.
    const incr = redisScript(`-- ${randomUUID()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const evalSpy = vi.spyOn(redis, 'eval');
    const shaSpy = vi.spyOn(redis, 'evalsha');
    const key = `script-test:${randomUUID()}`;
    try {
      expect(await incr(redis, [key], [2])).toBe(2);
      expect(await incr(redis, [key], [3])).toBe(5);
      expect(await incr(redis, [key], [4])).toBe(9);
      expect(shaSpy).toHaveBeenCalledTimes(3);
      expect(evalSpy).toHaveBeenCalledTimes(1);
      // The key lives under the environment's prefix, as with any other command of this client.
      expect(redis.options.keyPrefix).toBeTruthy();
      expect(await ctx.redis().get(key)).toBe('9');
      const unprefixed = redis.duplicate({ keyPrefix: '' });
      try {
        expect(await unprefixed.get(`${redis.options.keyPrefix}${key}`)).toBe('9');
      } finally {
        unprefixed.disconnect();
      }
    } finally {
      evalSpy.mockRestore();
      shaSpy.mockRestore();
      await redis.del(key);
    }
  });

  it('passes other errors through', async () => {
    const boom = redisScript(`-- ${randomUUID()}\nreturn redis.error_reply('boom')`);
    await expect(boom(ctx.redis(), [])).rejects.toThrow('boom');
  });
});
