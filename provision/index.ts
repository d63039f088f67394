import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { allKafkaTopics, QUEUES, SNS_TOPICS } from '../platform/names';
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
  mysql: Pool;
}

/**
 * Makes the servers match what the code expects: MySQL schema, Kafka topics (with DLQs), SNS
 * topics, SQS queues with redrive and subscriptions. Idempotent; safe to run on every start.
 */
export async function provisionAll({ config, log, kafka, sns, sqs, mysql }: ProvisionDeps): Promise<void> {
  const applied = await migrate(mysql);
  log.info({ applied }, applied.length ? 'mysql: migrations applied' : 'mysql: schema up to date');

  const created = await ensureKafkaTopics(kafka, allKafkaTopics());
  log.info({ created }, created.length ? 'kafka: topics created' : 'kafka: topics present');

  for (const topic of Object.values(SNS_TOPICS)) await ensureTopic(sns, sqs, config, topic);
  // Queues no topic feeds (e.g. purchase-results, written to directly by fulfillment).
  for (const queue of Object.values(QUEUES)) await ensureQueue(sqs, config, queue);
  log.info({ topics: Object.values(SNS_TOPICS).map((t) => t.name) }, 'sns/sqs: topics, queues and subscriptions present');
}
