import { DeleteTopicCommand, ListSubscriptionsByTopicCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { topicArn } from '../platform/clients/aws';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { namesOf } from '../platform/names';
import { dropDatabase } from './database';

export interface TeardownDeps {
  config: Config;
  log: Logger;
  kafka: Kafka;
  sns: SNSClient;
  sqs: SQSClient;
  /** A client without a key prefix: teardown matches the environment's prefix itself. */
  redis: Redis;
  temporal: Client;
}

/**
 * Removes everything an environment created on the shared servers: its running workflows, Kafka
 * topics and consumer groups, SNS topics, SQS queues, Redis keys and MySQL database. Used at the end
 * of a test run or benchmark (each runs in an environment of its own), never on the live one
 * unless asked for by name. Idempotent: what is already gone is skipped.
 */
export async function teardownEnvironment(deps: TeardownDeps): Promise<Record<string, number>> {
  const { config, log } = deps;
  const names = namesOf(config);
  const removed = {
    workflows: await terminateWorkflows(deps.temporal, names.workflowIdPrefix),
    kafkaTopics: await deleteKafka(deps.kafka, names.allKafkaTopics(), `${config.TIDINGS_ENV}.`),
    snsTopics: await deleteSnsTopics(
      deps.sns,
      config,
      Object.values(names.snsTopics).map((t) => t.name),
    ),
    sqsQueues: await deleteQueues(deps.sqs, names.allQueues()),
    redisKeys: await deleteRedisKeys(deps.redis, names.redisPrefix),
  };
  await dropDatabase(config);
  log.info({ env: config.TIDINGS_ENV, database: config.MYSQL_DATABASE, ...removed }, 'environment removed');
  return removed;
}

async function terminateWorkflows(client: Client, idPrefix: string): Promise<number> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${idPrefix}' AND ExecutionStatus = 'Running'` })) ids.push(wf.workflowId);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map((id) =>
        client.workflow
          .getHandle(id)
          .terminate('environment removed')
          // Ended between the list and the terminate: nothing left to do.
          .catch((err: unknown) => {
            if (!(err instanceof Error && err.name === 'WorkflowNotFoundError')) throw err;
          }),
      ),
    );
  }
  return ids.length;
}

async function deleteKafka(kafka: Kafka, topics: string[], groupPrefix: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const ours = groups.map((g) => g.groupId).filter((g) => g.startsWith(groupPrefix));
    // A group with live members cannot be deleted; its offsets go with the topics anyway.
    if (ours.length) await admin.deleteGroups(ours).catch(() => undefined);
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    return doomed.length;
  } finally {
    await admin.disconnect();
  }
}

async function deleteSnsTopics(sns: SNSClient, config: Config, topics: string[]): Promise<number> {
  let n = 0;
  for (const name of topics) {
    const TopicArn = topicArn(config, name);
    try {
      const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
      for (const s of Subscriptions) if (s.SubscriptionArn) await sns.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn }));
      await sns.send(new DeleteTopicCommand({ TopicArn }));
      n++;
    } catch (err) {
      if (!(err instanceof Error && err.name === 'NotFoundException')) throw err;
    }
  }
  return n;
}

async function deleteQueues(sqs: SQSClient, queues: string[]): Promise<number> {
  let n = 0;
  for (const QueueName of queues) {
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      n++;
    } catch (err) {
      if (!(err instanceof Error && /NonExistentQueue|QueueDoesNotExist/.test(err.name))) throw err;
    }
  }
  return n;
}

async function deleteRedisKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}
