// What every Kafka consumer of Tidings does the same way: join its group with the same liveness
// settings (and say when it has partitions), and dead-letter records it can never process to
// `<topic>.dlq` with the reason and where they came from.
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../logger';
import { dlqTopic } from '../names';

/** What every Tidings consumer is given. */
export interface KafkaConsumerBase {
  name: string;
  kafka: Kafka;
  /** For dead letters. */
  producer: () => Promise<Producer>;
  log: Logger;
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts; production groups start at the beginning. */
  fromBeginning?: boolean;
}

export interface JoinedConsumer {
  consumer: Consumer;
  /** Resolves once the consumer has joined its group and has partitions. */
  ready: Promise<void>;
}

export interface RunningKafkaConsumer {
  /** Resolves once the consumer has joined its group and has partitions. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** A connected consumer subscribed to `topics` (not yet running). */
export async function joinGroup(
  kafka: Kafka,
  opts: { groupId: string; topics: string[]; fromBeginning: boolean; maxWaitTimeInMs?: number },
): Promise<JoinedConsumer> {
  const consumer = kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: 15_000,
    heartbeatInterval: 1_000,
    retry: { retries: 8 },
    ...(opts.maxWaitTimeInMs === undefined ? {} : { maxWaitTimeInMs: opts.maxWaitTimeInMs }),
  });
  let joined: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning });
  return { consumer, ready };
}

/** Sends records to `<topic>.dlq`, each with its reason and origin in headers. */
export async function deadLetter(
  producer: Producer,
  where: { topic: string; partition: number; groupId: string },
  records: { record: KafkaMessage; reason: string }[],
): Promise<void> {
  if (records.length === 0) return;
  await producer.send({
    topic: dlqTopic(where.topic),
    messages: records.map(({ record, reason }) => ({
      key: record.key,
      value: record.value,
      headers: {
        'x-dlq-reason': reason,
        'x-source-topic': where.topic,
        'x-source-partition': String(where.partition),
        'x-source-offset': record.offset,
        'x-consumer-group': where.groupId,
      },
    })),
  });
}
