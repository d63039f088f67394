import type { KafkaMessage } from 'kafkajs';
import { PoisonMessageError } from '../platform/errors';
import { contextFromKafkaHeaders, inSpan, SpanKind } from '../platform/trace-context';
import { trace } from '@opentelemetry/api';
import { deadLetter, joinGroup, type KafkaConsumerBase, type RunningKafkaConsumer } from '../platform/clients/kafka-group';

export interface KafkaBatchConsumerOptions<T> extends KafkaConsumerBase {
  /** Records handed to `handle` at most at once. */
  maxBatch?: number;
  /** Reads one record; throw PoisonMessageError for one that can never be processed (dead-lettered). */
  parse: (message: KafkaMessage) => T;
  /**
   * Processes the parsed records of a run of one partition, durably. Returns the ones to
   * dead-letter, with the reason. Any error is retried from the first record of the run (nothing of
   * it is committed), so `handle` must be idempotent.
   */
  handle: (items: T[]) => Promise<{ item: T; reason: string }[]>;
}

export type { RunningKafkaConsumer } from '../platform/clients/kafka-group';

/**
 * A kafkajs consumer that processes a partition's records a batch at a time and commits their
 * offsets only after `handle` returned (a crash in between replays the batch). Poison records go to
 * `<topic>.dlq` with the reason, and the partition moves on.
 */
export async function startKafkaBatchConsumer<T>(opts: KafkaBatchConsumerOptions<T>): Promise<RunningKafkaConsumer> {
  const log = opts.log.child({ consumer: opts.name, groupId: opts.groupId });
  const { consumer, ready } = await joinGroup(opts.kafka, {
    groupId: opts.groupId,
    topics: opts.topics,
    fromBeginning: opts.fromBeginning ?? true,
    maxWaitTimeInMs: 100,
  });
  const maxBatch = opts.maxBatch ?? 500;
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const { topic, partition } = batch;
      for (let i = 0; i < batch.messages.length; i += maxBatch) {
        if (!isRunning() || isStale()) return;
        const records = batch.messages.slice(i, i + maxBatch);
        const good: { item: T; record: KafkaMessage }[] = [];
        const dead: { record: KafkaMessage; reason: string }[] = [];
        for (const record of records) {
          try {
            good.push({ item: opts.parse(record), record });
          } catch (err) {
            if (!(err instanceof PoisonMessageError)) throw err;
            dead.push({ record, reason: err.message });
          }
        }
        // A batch mixes many traces: its span is a new root linked to each record's producer span.
        const refused = await inSpan(
          `${opts.name} process batch`,
          {
            kind: SpanKind.CONSUMER,
            role: 'consumers',
            links: good.map((g) => {
              const sc = trace.getSpanContext(contextFromKafkaHeaders(g.record.headers));
              return sc ? { context: sc } : undefined;
            }),
            attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.batch.message_count': good.length },
          },
          () => opts.handle(good.map((g) => g.item)),
        );
        for (const r of refused) {
          const g = good.find((x) => x.item === r.item);
          if (g) dead.push({ record: g.record, reason: r.reason });
        }
        if (dead.length > 0) {
          dead.sort((a, b) => Number(BigInt(a.record.offset) - BigInt(b.record.offset)));
          for (const d of dead) log.warn({ topic, partition, offset: d.record.offset, reason: d.reason }, 'record dead-lettered');
          await deadLetter(await opts.producer(), { topic, partition, groupId: opts.groupId }, dead);
        }
        // Only now, with the batch applied (and its poison dead-lettered), may its offsets move.
        resolveOffset(records[records.length - 1]!.offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
      }
    },
  });
  log.info({ topics: opts.topics }, 'kafka batch consumer started');
  return {
    ready,
    async stop() {
      await consumer.disconnect();
      log.info('kafka consumer stopped');
    },
  };
}
