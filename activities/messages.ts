import type { Pool } from 'mysql2/promise';
import type { Publisher } from '../gateway/publisher';
import { recordTransition, type MessageStatus } from '../stores/conversations';

export interface MessageDeps {
  mysql: Pool;
  publisher: () => Publisher;
}

export function createMessageActivities(deps: MessageDeps) {
  return {
    /** Persists the transition with its time and ticks it to the conversation's subscribers, once. */
    async recordMessageTransition(t: { messageId: string; conversationId: string; status: Exclude<MessageStatus, 'PENDING'>; at: number }): Promise<void> {
      await recordTransition(deps.mysql, t.messageId, t.status, t.at);
      await deps
        .publisher()
        .publish(
          `conversation:${t.conversationId}`,
          'message.status',
          { messageId: t.messageId, status: t.status, at: new Date(t.at).toISOString() },
          { countConnections: false, dedupeId: `message:${t.messageId}:${t.status}` },
        );
    },
  };
}

export type MessageActivities = ReturnType<typeof createMessageActivities>;
