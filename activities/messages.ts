import type { ExpireResult, MessageTimerActivities } from '../contracts/messages';
import { dispatch, expireDue, type MessageDeliveryDeps } from '../services/message-delivery';

/** What the chat timers' steps use: the delivery service's dependencies. */
export type MessageDeps = MessageDeliveryDeps;

/** The chat timers' steps: the deadline buckets' expiry and the relay's dispatch. */
export function createMessageActivities(deps: MessageDeps): MessageTimerActivities {
  return {
    async expireMessages({ from, to, limit }): Promise<ExpireResult> {
      const { hops, more } = await expireDue(deps, { from, to, limit, now: Date.now() });
      return { failed: hops.map((h) => h.messageId), more };
    },
    async relayMessageOutbox({ limit, minAgeMs }): Promise<{ claimed: number }> {
      const sent = await dispatch(deps, { olderThan: Date.now() - minAgeMs, limit });
      return { claimed: sent.length };
    },
  };
}
