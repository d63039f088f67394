import type { KafkaMessage } from 'kafkajs';
import { PoisonMessageError } from '../platform/errors';
import { contextFromKafkaHeaders, inSpan, SpanKind } from '../platform/trace-context';
import { deadLetter, joinGroup, type KafkaConsumerBase, type RunningKafkaConsumer } from '../platform/clients/kafka-group';

export interface KafkaConsumerOptions extends KafkaConsumerBase {
  /**
   * Processes one record. Throw PoisonMessageError for a record that can never succeed: it goes to
   * `<topic>.dlq` with the reason and the partition moves on. Any other error is retried (the
   * offset is not committed), so the record is never skipped.
   */
  handle: (message: KafkaMessage, topic: string, partition: number) => Promise<void>;
}

export type { RunningKafkaConsumer } from '../platform/clients/kafka-group';

/** A kafkajs consumer that commits a record's offset only after its handler returned. */
export async function startKafkaConsumer(opts: KafkaConsumerOptions): Promise<RunningKafkaConsumer> {
  const log = opts.log.child({ consumer: opts.name, groupId: opts.groupId });
  const { consumer, ready } = await joinGroup(opts.kafka, { groupId: opts.groupId, topics: opts.topics, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    // The offset of a record is resolved only when eachMessage returns, and committed after that.
    eachMessage: async ({ topic, partition, message }) => {
      try {
        // A CONSUMER span continuing the producer's trace (the record's headers).
        await inSpan(
          `${opts.name} process`,
          {
            kind: SpanKind.CONSUMER,
            role: 'consumers',
            parent: contextFromKafkaHeaders(message.headers),
            attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.kafka.offset': Number(message.offset) },
          },
          () => opts.handle(message, topic, partition),
        );
      } catch (err) {
        if (!(err instanceof PoisonMessageError)) throw err;
        log.warn({ topic, partition, offset: message.offset, reason: err.message }, 'record dead-lettered');
        await deadLetter(await opts.producer(), { topic, partition, groupId: opts.groupId }, [{ record: message, reason: err.message }]);
      }
    },
  });
  log.info({ topics: opts.topics }, 'kafka consumer started');
  return {
    ready,
    async stop() {
      await consumer.disconnect();
      log.info('kafka consumer stopped');
    },
  };
}
