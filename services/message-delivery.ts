// Chat delivery without a workflow per message (docs/message-status.md): the message leaves through
// its outbox (the API's own dispatch right after the commit, the relay workflow as the durable
// backstop), status reports are applied in MySQL with conditional updates and ticked straight to the
// conversation's channel, and Temporal holds only the delivery deadlines (one bucket workflow per
// time slice). Shared by the API, the msg.status consumer and the activities.
import type { Producer } from 'kafkajs';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { conversationChannel } from '../contracts/channels';
import {
  deadlineSliceEnd,
  MESSAGE_DEADLINE_BUCKET_WORKFLOW,
  MESSAGE_STATUS_EVENT,
  messageDeadlineBucketId,
  type MessageDeadlineBucketInput,
} from '../contracts/messages';
import type { Publisher } from '../gateway/publisher';
import type { Config } from '../platform/config';
import { withTimeout } from '../platform/errors';
import { createCoalescingDispatcher } from '../platform/coalescing-dispatcher';
import type { Logger } from '../platform/logger';
import { namesOf } from '../platform/names';
import { armWithNext, bucketStart, type BucketStartDeps } from './bucket-arming';
import { inTransaction } from '../platform/db/transaction';
import { inOrderPerKey } from '../platform/in-order';
import {
  applyStatusReports,
  claimOutbox,
  expireDeadlines,
  markDispatched,
  type OutboxMessage,
  type StatusHop,
  type StatusReport,
} from '../stores/conversations';

export interface MessageDeliveryDeps extends BucketStartDeps {
  mysql: Pool;
  producer: () => Promise<Producer>;
  publisher: () => Publisher;
}

/** A dispatch must not hold its claim for long: past this, the rows go back to the relay. */
const SEND_TIMEOUT_MS = 5_000;

/** Ticks hops to their conversations: each message's hops in order, messages side by side. */
export async function tick(publisher: Publisher, hops: StatusHop[]): Promise<void> {
  await inOrderPerKey(
    hops,
    (h) => h.messageId,
    (h) =>
      publisher.publish(
        conversationChannel(h.conversationId),
        MESSAGE_STATUS_EVENT,
        { messageId: h.messageId, status: h.status, at: new Date(h.at).toISOString() },
        // The same hop published again (a batch retried after its ticks went out) is not shown twice.
        { countConnections: false, dedupeId: `message:${h.messageId}:${h.status}` },
      ),
  );
}

/**
 * Runs `work` in one READ COMMITTED transaction and ticks the hops it made before the commit: a
 * failed tick rolls the batch back, and ticks are deduplicated by message and status, so the
 * retry shows each once. READ COMMITTED: the locks cover only the rows read, so the API's inserts
 * (the trigger's outbox rows) never wait for a batch.
 */
function hopsAndTick<T extends { hops: StatusHop[] }>(
  deps: Pick<MessageDeliveryDeps, 'mysql' | 'publisher'>,
  work: (conn: PoolConnection) => Promise<T>,
): Promise<T> {
  return inTransaction(
    deps.mysql,
    async (conn) => {
      const r = await work(conn);
      if (r.hops.length > 0) await tick(deps.publisher(), r.hops);
      return r;
    },
    { isolation: 'READ COMMITTED' },
  );
}

/** Applies status reports in MySQL (forward only) and ticks what changed, before the commit. */
export async function applyStatuses(deps: Pick<MessageDeliveryDeps, 'mysql' | 'publisher'>, reports: StatusReport[]) {
  if (reports.length === 0) return { hops: [], unknown: [] };
  return hopsAndTick(deps, (conn) => applyStatusReports(conn, reports));
}

/** Fails the undelivered messages due in (from, to], one batch, and ticks FAILED. */
export async function expireDue(deps: Pick<MessageDeliveryDeps, 'mysql' | 'publisher'>, window: { from: number; to: number; limit: number; now: number }) {
  return hopsAndTick(deps, (conn) => expireDeadlines(conn, window));
}

/** Makes sure the deadline bucket of the slice ending at `fireAt` exists (and arms the next one); returns its id. */
export async function ensureDeadlineBucket(deps: MessageDeliveryDeps, fireAt: number, now = Date.now()): Promise<string> {
  const { config } = deps;
  return armWithNext(
    (at) =>
      bucketStart<MessageDeadlineBucketInput>(
        deps,
        {
          workflowType: MESSAGE_DEADLINE_BUCKET_WORKFLOW,
          workflowId: messageDeadlineBucketId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE, at),
          fireAt: at,
          input: { fireAt: at, sliceMs: config.MESSAGE_DEADLINE_BUCKET_MS, batch: config.MESSAGE_RELAY_BATCH },
          memo: { fireAt: new Date(at).toISOString() },
        },
        now,
      ),
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
  return inTransaction(
    deps.mysql,
    async (conn) => {
      const claim = await claimOutbox(conn, which);
      if (claim.outboxIds.length === 0) return [];
      const now = Date.now();
      const deadlineAt = now + config.MESSAGE_DELIVER_DEADLINE_MS;
      if (claim.messages.length > 0) {
        await withTimeout(
          'dispatching messages',
          SEND_TIMEOUT_MS,
          (async () => {
            const producer = await deps.producer();
            await ensureDeadlineBucket(deps, deadlineSliceEnd(deadlineAt, config.MESSAGE_DEADLINE_BUCKET_MS), now);
            await producer.send({
              topic: namesOf(config).topics.messages,
              messages: claim.messages.map((m) => ({ key: m.conversationId, value: JSON.stringify(m) })),
            });
          })(),
        );
      }
      await markDispatched(conn, claim, deadlineAt);
      return claim.messages;
    },
    // READ COMMITTED: the claim locks only the rows it returns, not the gap after them, so the
    // API's inserts (the trigger's outbox rows) never wait for a dispatch.
    { isolation: 'READ COMMITTED' },
  );
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
