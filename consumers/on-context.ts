// Consumers wired from the process's context: its clients and logger, the consumer group named for
// the consumer in this environment, the configured polling. A journey's consumer then names only
// its source and its handler.
import type { Message } from '@aws-sdk/client-sqs';
import type { KafkaMessage } from 'kafkajs';
import { namesOf } from '../platform/names';
import type { Context } from '../runtime/context';
import { startKafkaConsumer } from './kafka-runner';
import { dependencyChecks } from '../platform/health';
import { startSqsConsumer } from './sqs-runner';

export interface KafkaSourceOptions {
  /** The consumer group (tests use their own); default `<env>.<prefix>-<name>`. */
  groupId?: string;
  /** Where a brand-new group starts; default KAFKA_NEW_GROUP_FROM. */
  fromBeginning?: boolean;
}

/** Consumes Kafka `topic` as the consumer `name` (kafka-runner.ts: offsets after the handler, poison to the DLQ). */
export function consumeKafka(
  ctx: Context,
  name: string,
  topic: string,
  opts: KafkaSourceOptions,
  handle: (message: KafkaMessage, topic: string, partition: number) => Promise<void>,
) {
  return startKafkaConsumer({
    name,
    kafka: ctx.kafka(),
    producer: ctx.producer,
    log: ctx.log,
    groupId: opts.groupId ?? namesOf(ctx.config).group(ctx.config.KAFKA_GROUP_PREFIX, name),
    topics: [topic],
    fromBeginning: opts.fromBeginning ?? ctx.config.KAFKA_NEW_GROUP_FROM === 'earliest',
    handle,
  });
}

export interface SqsSourceOptions {
  /** Long-poll wait per receive; default SQS_WAIT_SECONDS. */
  waitSeconds?: number;
  /** How soon a failed message comes back; default SQS_RETRY_DELAY_SECONDS. */
  retryDelaySeconds?: number;
  /** Long polls at once; default 1. */
  pollers?: number;
}

/** Consumes SQS queue `queueName` as the consumer `name` (sqs-runner.ts: deleted after the handler). */
export function consumeSqs(ctx: Context, name: string, queueName: string, opts: SqsSourceOptions, handle: (body: string, message: Message) => Promise<void>) {
  return startSqsConsumer({
    name,
    sqs: ctx.sqs(),
    log: ctx.log,
    queueName,
    waitSeconds: opts.waitSeconds ?? ctx.config.SQS_WAIT_SECONDS,
    retryDelaySeconds: opts.retryDelaySeconds ?? ctx.config.SQS_RETRY_DELAY_SECONDS,
    ...(opts.pollers === undefined ? {} : { pollers: opts.pollers }),
    checks: pauseChecks(ctx),
    handle,
  });
}

/** The readiness checks an SQS consumer asks while it waits out an outage (sqs-runner.ts). */
function pauseChecks(ctx: Context) {
  const { mysql, redis, temporal } = dependencyChecks(ctx);
  return { mysql, redis, temporal };
}
