// Kafka `msg.status` → the message's lifecycle workflow (signal-with-start). The record's offset is
// committed only once the signal was accepted; a malformed record is dead-lettered.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { StatusEventSchema } from '../services/message-status';
import type { Context } from '../runtime/context';
import { namesOf } from '../platform/names';
import { message, messageWorkflowId, statusEventSignal } from '../workflows/message';
import { startKafkaConsumer } from './kafka-runner';
import { parseRecord } from './parse-record';

export async function startMessageStatusConsumer(ctx: Context, opts: { groupId?: string; fromBeginning?: boolean } = {}) {
  const { config } = ctx;
  return startKafkaConsumer({
    name: 'msg-status',
    kafka: ctx.kafka(),
    producer: ctx.producer,
    log: ctx.log,
    groupId: opts.groupId ?? namesOf(config).group(config.KAFKA_GROUP_PREFIX, 'msg-status'),
    topics: [namesOf(config).topics.msgStatus],
    fromBeginning: opts.fromBeginning ?? ctx.config.KAFKA_NEW_GROUP_FROM === 'earliest',
    handle: async (record) => {
      const e = parseRecord(StatusEventSchema, record.value?.toString() ?? '');
      const client = await ctx.temporal();
      try {
        await client.workflow.signalWithStart(message, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: messageWorkflowId(config.TIDINGS_ENV, e.messageId),
          args: [
            {
              messageId: e.messageId,
              conversationId: e.conversationId,
              deliverDeadlineMs: config.MESSAGE_DELIVER_DEADLINE_MS,
              readWaitMs: config.MESSAGE_READ_WAIT_MS,
            },
          ],
          signal: statusEventSignal,
          signalArgs: [{ status: e.status, at: e.at }],
          // A late or repeated event for a lifecycle that has ended must not start a second one.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        ctx.log.debug({ messageId: e.messageId, status: e.status }, 'status event for a finished lifecycle ignored');
      }
    },
  });
}
