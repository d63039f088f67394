import type { Pool } from 'mysql2/promise';
import { getConversation, type Conversation } from './conversations';

/**
 * The conversations an API process has looked up, kept in memory: every message send checks the
 * sender's membership, and at chat rates that lookup was one MySQL round trip per message (a third
 * of the sends' queries). Safe because a conversation never changes after it is created: no route
 * adds or removes members, renames or deletes one. A route that does must evict here (and in every
 * API process) first.
 *
 * Only conversations found are kept: an unknown id may be created a moment later by another
 * process. At most `max` are kept, the least recently used going first; concurrent lookups of the
 * same id share one query.
 */
export function createConversationCache(pool: () => Pool, { max = 10_000 }: { max?: number } = {}) {
  const known = new Map<string, Conversation>();
  const loading = new Map<string, Promise<Conversation | undefined>>();
  return {
    async get(conversationId: string): Promise<Conversation | undefined> {
      const hit = known.get(conversationId);
      if (hit) {
        // Map order is insertion order: moved to the end, it is the most recently used.
        known.delete(conversationId);
        known.set(conversationId, hit);
        return hit;
      }
      let pending = loading.get(conversationId);
      if (!pending) {
        pending = getConversation(pool(), conversationId).finally(() => loading.delete(conversationId));
        loading.set(conversationId, pending);
      }
      const found = await pending;
      if (found && !known.has(conversationId)) {
        // Shared by every request that asks: nobody may change it.
        Object.freeze(found.members);
        known.set(conversationId, Object.freeze(found));
        if (known.size > max) known.delete(known.keys().next().value!);
      }
      return found;
    },
    /** How many are kept (for tests and metrics). */
    get size(): number {
      return known.size;
    },
  };
}

export type ConversationCache = ReturnType<typeof createConversationCache>;
