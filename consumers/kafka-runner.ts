import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { PoisonMessageError } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { dlqTopic } from '../platform/names';

export interface KafkaConsumerOptions {
  name: string;
  kafka: Kafka;
  producer: () => Promise<Producer>;
  log: Logger;
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts; production groups start at the beginning. */
  fromBeginning?: boolean;
  /**
   * Processes one record. Throw PoisonMessageError for a record that can never succeed: it goes to
   * `<topic>.dlq` with the reason and the partition moves on. Any other error is retried (the
   * offset is not committed), so the record is never skipped.
   */
  handle: (message: KafkaMessage, topic: string, partition: number) => Promise<void>;
}

export interface RunningKafkaConsumer {
  /** Resolves once the consumer has joined its group and has partitions. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** A kafkajs consumer that commits a record's offset only after its handler returned. */
export async function startKafkaConsumer(opts: KafkaConsumerOptions): Promise<RunningKafkaConsumer> {
  const log = opts.log.child({ consumer: opts.name, groupId: opts.groupId });
  const consumer = opts.kafka.consumer({ groupId: opts.groupId, sessionTimeout: 15_000, heartbeatInterval: 1_000, retry: { retries: 8 } });
  let joined: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    // The offset of a record is resolved only when eachMessage returns, and committed after that.
    eachMessage: async ({ topic, partition, message }) => {
      try {
        await opts.handle(message, topic, partition);
      } catch (err) {
        if (!(err instanceof PoisonMessageError)) throw err;
        log.warn({ topic, partition, offset: message.offset, reason: err.message }, 'record dead-lettered');
        const producer = await opts.producer();
        await producer.send({
          topic: dlqTopic(topic),
          messages: [
            {
              key: message.key,
              value: message.value,
              headers: {
                'x-dlq-reason': err.message,
                'x-source-topic': topic,
                'x-source-partition': String(partition),
                'x-source-offset': message.offset,
                'x-consumer-group': opts.groupId,
              },
            },
          ],
        });
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
