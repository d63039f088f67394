import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { ExpireResult, MessageTimerActivities } from '../contracts/messages';
import type { Publisher } from '../gateway/publisher';
import type { Config } from '../platform/config';
import { dispatch, expireDue } from '../services/message-delivery';

export interface MessageDeps {
  config: Config;
  mysql: Pool;
  producer: () => Promise<Producer>;
  temporal: () => Promise<Client>;
  publisher: () => Publisher;
}

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
