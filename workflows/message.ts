import { condition, defineQuery, defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { MessageActivities } from '../activities/messages';
import type { MessageStatus } from '../stores/conversations';

export interface MessageInput {
  messageId: string;
  conversationId: string;
  /** FAILED when not DELIVERED within this long of the send (a durable timer). */
  deliverDeadlineMs: number;
  /** After DELIVERED, how long the run waits for READ before it ends (the row keeps DELIVERED). */
  readWaitMs: number;
}

export type StatusEvent = { status: 'SENT' | 'DELIVERED' | 'READ'; at: number };

export interface MessageState {
  messageId: string;
  status: MessageStatus;
  history: { status: MessageStatus; at: number }[];
}

/** One lifecycle per message. */
export const messageWorkflowId = (env: string, messageId: string): string => `${env}.message-${messageId}`;
export const statusEventSignal = defineSignal<[StatusEvent]>('statusEvent');
export const messageStateQuery = defineQuery<MessageState>('messageState');

const RANK: Record<MessageStatus, number> = { PENDING: 0, SENT: 1, DELIVERED: 2, READ: 3, FAILED: 9 };
const ORDER = ['SENT', 'DELIVERED', 'READ'] as const;

const steps = proxyLocalActivities<MessageActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * PENDING → SENT → DELIVERED → READ from `msg.status`, never regressing. A duplicate changes
 * nothing; an event ahead of its predecessors (READ before DELIVERED) brings the skipped steps with
 * it, in order, so subscribers always see the ticks in order. FAILED if not DELIVERED in time.
 */
export async function message(input: MessageInput): Promise<MessageState> {
  const state: MessageState = { messageId: input.messageId, status: 'PENDING', history: [] };
  let highest: StatusEvent | undefined; // the furthest event received, applied by the main loop
  setHandler(statusEventSignal, (e) => {
    if (state.status === 'FAILED') return;
    if (!highest || RANK[e.status] > RANK[highest.status]) highest = e;
  });
  setHandler(messageStateQuery, () => state);

  const applyUpTo = async (target: StatusEvent) => {
    for (const s of ORDER) {
      if (RANK[s] <= RANK[state.status] || RANK[s] > RANK[target.status]) continue;
      await steps.recordMessageTransition({ messageId: input.messageId, conversationId: input.conversationId, status: s, at: target.at });
      state.status = s;
      state.history.push({ status: s, at: target.at });
    }
  };
  const pendingEvent = () => highest !== undefined && RANK[highest.status] > RANK[state.status];

  const started = Date.now();
  // Until DELIVERED, under the deadline.
  while (RANK[state.status] < RANK.DELIVERED) {
    const left = started + input.deliverDeadlineMs - Date.now();
    if (left <= 0 || !(await condition(pendingEvent, left))) {
      const at = Date.now();
      await steps.recordMessageTransition({ messageId: input.messageId, conversationId: input.conversationId, status: 'FAILED', at });
      state.status = 'FAILED';
      state.history.push({ status: 'FAILED', at });
      return state;
    }
    await applyUpTo(highest!);
  }
  // Then READ, if it comes.
  if (RANK[state.status] < RANK.READ && (await condition(pendingEvent, input.readWaitMs))) await applyUpTo(highest!);
  return state;
}
