// Kafka `msg.status` → the message row in MySQL (forward-only conditional update) → a tick on the
// conversation's channel, a batch at a time and with no workflow in between. A batch's offsets are
// committed only once its statuses are committed in MySQL; a malformed record, or one about a
// message that does not exist (or not in that conversation), is dead-lettered.
import { StatusEventSchema, type StatusEvent } from '../services/message-status';
import { applyStatuses } from '../services/message-delivery';
import type { Context } from '../runtime/context';
import { namesOf } from '../platform/names';
import { startKafkaBatchConsumer } from './kafka-batch-runner';
import { parseRecord } from './parse-record';

export async function startMessageStatusConsumer(ctx: Context, opts: { groupId?: string; fromBeginning?: boolean } = {}) {
  const { config } = ctx;
  return startKafkaBatchConsumer<StatusEvent>({
    name: 'msg-status',
    kafka: ctx.kafka(),
    producer: ctx.producer,
    log: ctx.log,
    groupId: opts.groupId ?? namesOf(config).group(config.KAFKA_GROUP_PREFIX, 'msg-status'),
    topics: [namesOf(config).topics.msgStatus],
    fromBeginning: opts.fromBeginning ?? config.KAFKA_NEW_GROUP_FROM === 'earliest',
    parse: (record) => parseRecord(StatusEventSchema, record.value?.toString() ?? ''),
    handle: async (events) => {
      const { unknown } = await applyStatuses({ mysql: ctx.mysql(), publisher: ctx.publisher }, events);
      const refused = new Set(unknown);
      return events
        .filter((e) => refused.has(e))
        .map((item) => ({ item, reason: `messageId: no message ${item.messageId} in conversation ${item.conversationId}` }));
    },
  });
}
