import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { queueArn, topicArn } from '../platform/clients/aws';

import { testContext, testNames } from '../test/support/context';
import { provisionAll } from './index';

const names = testNames();

describe('provisioning (real Kafka, moto, MariaDB)', () => {
  const ctx = testContext();
  afterAll(() => ctx.lifecycle.close());

  it('is idempotent: a second run creates nothing and duplicates no subscription', async () => {
    const deps = { config: ctx.config, log: ctx.log, kafka: ctx.kafka(), sns: ctx.sns(), sqs: ctx.sqs(), mysql: ctx.mysql() };
    await provisionAll(deps);
    await provisionAll(deps);

    const admin = ctx.kafka().admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    for (const t of names.allKafkaTopics()) expect(topics).toContain(t);
    expect(topics).toContain(`${ctx.config.TIDINGS_ENV}.msg.status.dlq`);

    for (const topic of Object.values(names.snsTopics)) {
      const { Subscriptions = [] } = await ctx.sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn(ctx.config, topic.name) }));
      const endpoints = Subscriptions.map((s) => s.Endpoint).sort();
      expect(endpoints).toEqual(topic.queues.map((q) => queueArn(ctx.config, q.name)).sort());
    }
  });

  it('creates every queue, including those no topic feeds', async () => {
    for (const queue of Object.values(names.queues)) {
      const { QueueUrl } = await ctx.sqs().send(new GetQueueUrlCommand({ QueueName: queue.name }));
      expect(QueueUrl, queue.name).toContain(queue.name);
    }
  });

  it('gives each processing queue a dead-letter redrive', async () => {
    const { QueueUrl } = await ctx.sqs().send(new GetQueueUrlCommand({ QueueName: names.queues.purchaseProcessing.name }));
    const { Attributes = {} } = await ctx.sqs().send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy'] }));
    const redrive = JSON.parse(Attributes.RedrivePolicy ?? '{}') as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    expect(redrive.deadLetterTargetArn).toBe(queueArn(ctx.config, `${ctx.config.TIDINGS_ENV}-purchase-processing-dlq`));
    expect(Number(redrive.maxReceiveCount)).toBe(5);
  });
});
