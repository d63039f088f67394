import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { namesOf } from '../platform/names';
import { ensureQueue, ensureTopic } from './aws';
import { ensureKafkaTopics } from './kafka';
import { migrate } from './migrate';

/** What provisioning needs; each part is one of the platform client factories' products. */
export interface ProvisionDeps {
  config: Config;
  log: Logger;
  kafka: Kafka;
  sns: SNSClient;
  sqs: SQSClient;
  /** A pool on the environment's database (create it first with `ensureDatabase`). */
  mysql: Pool;
}

/**
 * Makes the servers match what the code expects for the configured environment: MySQL schema,
 * Kafka topics (with DLQs), SNS topics, SQS queues with redrive and subscriptions. Idempotent;
 * safe to run on every start.
 */
export async function provisionAll({ config, log, kafka, sns, sqs, mysql }: ProvisionDeps): Promise<void> {
  const names = namesOf(config);
  const applied = await migrate(mysql);
  log.info({ database: config.MYSQL_DATABASE, applied }, applied.length ? 'mysql: migrations applied' : 'mysql: schema up to date');

  const created = await ensureKafkaTopics(kafka, names.allKafkaTopics());
  log.info({ created }, created.length ? 'kafka: topics created' : 'kafka: topics present');

  const topics = Object.values(names.snsTopics);
  for (const topic of topics) await ensureTopic(sns, sqs, config, topic);
  // Queues no topic feeds (e.g. purchase-results, written to directly by fulfillment).
  for (const queue of Object.values(names.queues)) await ensureQueue(sqs, config, queue);
  log.info({ env: config.TIDINGS_ENV, topics: topics.map((t) => t.name) }, 'sns/sqs: topics, queues and subscriptions present');
}
