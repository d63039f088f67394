import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext, uniqueId } from '../test/support/context';
import { createConversationCache } from './conversation-cache';
import { createConversation } from './conversations';

// The API's membership lookups on the real MariaDB, with the queries that reach it counted.
describe('conversation cache', () => {
  const ctx = testContext();
  afterAll(() => ctx.lifecycle.close());

  let queries = 0;
  const counting = (): Pool => {
    const pool = ctx.mysql();
    return new Proxy(pool, {
      get: (target, prop, receiver) =>
        prop === 'query' ? (...args: Parameters<typeof pool.query>) => (queries++, target.query(...args)) : (Reflect.get(target, prop, receiver) as unknown),
    });
  };
  const create = async (members: string[]) => {
    const conversation = { conversationId: randomUUID(), organizationId: 'org', channel: 'whatsapp' as const, members: [...members].sort() };
    await createConversation(ctx.mysql(), conversation);
    return conversation;
  };

  it('asks MySQL once per conversation, however many sends check it, concurrent ones included', async () => {
    const conversation = await create([uniqueId('u'), uniqueId('u')]);
    const cache = createConversationCache(counting);
    queries = 0;
    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.get(conversation.conversationId)));
    expect(await cache.get(conversation.conversationId)).toEqual(conversation);
    for (const a of answers) expect(a).toEqual(conversation);
    expect(queries).toBe(1);
  });

  it('does not remember an unknown id: a conversation created after the miss is found', async () => {
    const cache = createConversationCache(counting);
    const id = randomUUID();
    expect(await cache.get(id)).toBeUndefined();
    await createConversation(ctx.mysql(), { conversationId: id, organizationId: 'org', channel: 'instagram', members: [uniqueId('u')] });
    expect((await cache.get(id))?.conversationId).toBe(id);
  });

  it('keeps at most `max`, dropping the least recently used, and hands out conversations nobody can change', async () => {
    const [a, b, c] = await Promise.all([create([uniqueId('u')]), create([uniqueId('u')]), create([uniqueId('u')])]);
    const cache = createConversationCache(counting, { max: 2 });
    await cache.get(a.conversationId);
    await cache.get(b.conversationId);
    await cache.get(a.conversationId); // a is now the most recently used
    await cache.get(c.conversationId); // so b goes
    expect(cache.size).toBe(2);
    queries = 0;
    await cache.get(a.conversationId);
    await cache.get(c.conversationId);
    expect(queries).toBe(0);
    await cache.get(b.conversationId);
    expect(queries).toBe(1);
    const shared = (await cache.get(a.conversationId))!;
    expect(() => (shared.members as string[]).push('intruder')).toThrow(TypeError);
  });
});
