// Chat delivery without a workflow per message (docs/message-status.md): the message leaves through
// its outbox (the API's own dispatch right after the commit, the relay workflow as the durable
// backstop), status reports are applied in MySQL with conditional updates and ticked straight to the
// conversation's channel, and Temporal holds only the delivery deadlines (one bucket workflow per
// time slice). Shared by the API, the msg.status consumer and the activities.
import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import { conversationChannel } from '../contracts/channels';
import {
  deadlineSliceEnd,
  MESSAGE_DEADLINE_BUCKET_WORKFLOW,
  MESSAGE_STATUS_EVENT,
  messageDeadlineBucketId,
  type MessageDeadlineBucketWorkflow,
} from '../contracts/messages';
import type { Publisher } from '../gateway/publisher';
import type { Config } from '../platform/config';
import { withTimeout } from '../platform/errors';
import { createCoalescingDispatcher } from '../platform/coalescing-dispatcher';
import type { Logger } from '../platform/logger';
import { namesOf } from '../platform/names';
import { armWithNext } from './bucket-arming';
import { applyStatusReports, dispatchOutbox, expireDeadlines, type OutboxMessage, type StatusHop, type StatusReport } from '../stores/conversations';

export interface MessageDeliveryDeps {
  config: Config;
  mysql: Pool;
  producer: () => Promise<Producer>;
  temporal: () => Promise<Client>;
  publisher: () => Publisher;
  /**
   * Start deadline buckets with a start delay (default): the server dispatches nothing until the
   * bucket's time, so a bucket costs one workflow task whatever it holds. Off for the time-skipping
   * test server, where the bucket's own sleep does the waiting.
   */
  startDelay?: boolean;
}

/** A dispatch must not hold its claim for long: past this, the rows go back to the relay. */
const SEND_TIMEOUT_MS = 5_000;

/** Ticks hops to their conversations: each message's hops in order, messages side by side. */
export async function tick(publisher: Publisher, hops: StatusHop[]): Promise<void> {
  const byMessage = new Map<string, StatusHop[]>();
  for (const h of hops) byMessage.set(h.messageId, [...(byMessage.get(h.messageId) ?? []), h]);
  await Promise.all(
    [...byMessage.values()].map(async (own) => {
      for (const h of own) {
        await publisher.publish(
          conversationChannel(h.conversationId),
          MESSAGE_STATUS_EVENT,
          { messageId: h.messageId, status: h.status, at: new Date(h.at).toISOString() },
          // The same hop published again (a batch retried after its ticks went out) is not shown twice.
          { countConnections: false, dedupeId: `message:${h.messageId}:${h.status}` },
        );
      }
    }),
  );
}

/** Applies status reports in MySQL (forward only) and ticks what changed, before the commit. */
export async function applyStatuses(deps: Pick<MessageDeliveryDeps, 'mysql' | 'publisher'>, reports: StatusReport[]) {
  return applyStatusReports(deps.mysql, reports, (hops) => tick(deps.publisher(), hops));
}

/** Fails the undelivered messages due in (from, to], one batch, and ticks FAILED. */
export async function expireDue(deps: Pick<MessageDeliveryDeps, 'mysql' | 'publisher'>, window: { from: number; to: number; limit: number; now: number }) {
  return expireDeadlines(deps.mysql, window, (hops) => tick(deps.publisher(), hops));
}

/** Makes sure the deadline bucket of the slice ending at `fireAt` exists (and arms the next one); returns its id. */
export async function ensureDeadlineBucket(deps: MessageDeliveryDeps, fireAt: number, now = Date.now()): Promise<string> {
  const { config } = deps;
  return armWithNext(
    (at) => ({
      workflowId: messageDeadlineBucketId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE, at),
      start: async () => {
        const client = await deps.temporal();
        await client.workflow.start<MessageDeadlineBucketWorkflow>(MESSAGE_DEADLINE_BUCKET_WORKFLOW, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: messageDeadlineBucketId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE, at),
          // Sleeping until its time: use it. Closed: its time has passed (a dispatch slower than the
          // deadline); a new run fires at once and fails what is overdue in its slice.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          ...(deps.startDelay === false ? {} : { startDelay: Math.max(0, at - now) }),
          args: [{ fireAt: at, sliceMs: config.MESSAGE_DEADLINE_BUCKET_MS, batch: config.MESSAGE_RELAY_BATCH }],
          memo: { fireAt: new Date(at).toISOString() },
        });
      },
    }),
    fireAt,
    config.MESSAGE_DEADLINE_BUCKET_MS,
  );
}

/** The deadline bucket a message dispatched now would be in (for links in responses). */
export const bucketIdFor = (config: Config, dispatchedAt: number): string =>
  messageDeadlineBucketId(
    config.TIDINGS_ENV,
    config.TEMPORAL_TASK_QUEUE,
    deadlineSliceEnd(dispatchedAt + config.MESSAGE_DELIVER_DEADLINE_MS, config.MESSAGE_DEADLINE_BUCKET_MS),
  );

/**
 * Hands outbox rows to the channel: arms their deadline (the bucket of their slice), publishes them
 * to Kafka `messages` keyed by conversation, and removes the rows, all under the claim. Nothing is
 * handed to a channel without its deadline armed, and a message whose send failed keeps its row.
 */
export async function dispatch(deps: MessageDeliveryDeps, which: { messageIds: string[] } | { olderThan: number; limit: number }): Promise<OutboxMessage[]> {
  const { config } = deps;
  return dispatchOutbox(deps.mysql, which, async (messages) => {
    const now = Date.now();
    const deadlineAt = now + config.MESSAGE_DELIVER_DEADLINE_MS;
    if (messages.length === 0) return { deadlineAt };
    await withTimeout(
      'dispatching messages',
      SEND_TIMEOUT_MS,
      (async () => {
        const producer = await deps.producer();
        await ensureDeadlineBucket(deps, deadlineSliceEnd(deadlineAt, config.MESSAGE_DEADLINE_BUCKET_MS), now);
        await producer.send({
          topic: namesOf(config).topics.messages,
          messages: messages.map((m) => ({ key: m.conversationId, value: JSON.stringify(m) })),
        });
      })(),
    );
    return { deadlineAt };
  });
}

/** The API's own dispatch of the messages it committed (the relay workflow is the backstop). */
export function createMessageDispatcher(deps: MessageDeliveryDeps & { log: Logger }) {
  return createCoalescingDispatcher({
    what: 'message',
    batch: deps.config.MESSAGE_RELAY_BATCH,
    log: deps.log,
    dispatch: (ids) => dispatch(deps, { messageIds: ids }),
  });
}

export type MessageDispatcher = ReturnType<typeof createMessageDispatcher>;
