import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { ExpireResult, MessageTimerActivities } from '../contracts/messages';
import type { Publisher } from '../gateway/publisher';
import type { Config } from '../platform/config';
import { dispatch, expireDue, tick } from '../services/message-delivery';
import { recordTransition, type MessageStatus } from '../stores/conversations';

export interface MessageDeps {
  config: Config;
  mysql: Pool;
  producer: () => Promise<Producer>;
  temporal: () => Promise<Client>;
  publisher: () => Publisher;
}

export function createMessageActivities(deps: MessageDeps) {
  const timers: MessageTimerActivities = {
    async expireMessages({ from, to, limit }): Promise<ExpireResult> {
      const { hops, more } = await expireDue(deps, { from, to, limit, now: Date.now() });
      return { failed: hops.map((h) => h.messageId), more };
    },
    async relayMessageOutbox({ limit, minAgeMs }): Promise<{ claimed: number }> {
      const sent = await dispatch(deps, { olderThan: Date.now() - minAgeMs, limit });
      return { claimed: sent.length };
    },
  };
  return {
    ...timers,
    /**
     * The step of the one-workflow-per-message design (workflows/message.ts), kept registered so
     * that runs started before the redesign finish.
     */
    async recordMessageTransition(t: { messageId: string; conversationId: string; status: Exclude<MessageStatus, 'PENDING'>; at: number }): Promise<void> {
      await recordTransition(deps.mysql, t.messageId, t.status, t.at);
      await tick(deps.publisher(), [{ messageId: t.messageId, conversationId: t.conversationId, status: t.status, at: t.at }]);
    },
  };
}

export type MessageActivities = ReturnType<typeof createMessageActivities>;
