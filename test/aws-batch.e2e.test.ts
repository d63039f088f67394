import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueArn } from '../platform/clients/aws';
import { createSnsBatchPublisher, createSqsBatchSender } from '../platform/clients/aws-batch';
import type { Context } from '../runtime/context';
import { testContext, testEnv, uniqueId } from './support/context';

// The batched senders on the real SNS/SQS server: one caller per message, ten messages per request,
// every message arrives once.
describe('batched SNS publish and SQS send', () => {
  let ctx: Context;
  let queueUrl: string;
  let topicArn: string;
  const name = `${testEnv()}-${uniqueId('batch')}`;
  const requests: string[] = [];

  const count = (client: { middlewareStack: SQSClient['middlewareStack'] }) =>
    client.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );

  async function receiveAll(expected: number): Promise<string[]> {
    const bodies: string[] = [];
    const deadline = Date.now() + 20_000;
    while (bodies.length < expected && Date.now() < deadline) {
      const { Messages = [] } = await ctx
        .sqs()
        .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
      bodies.push(...Messages.map((m) => m.Body ?? ''));
    }
    return bodies;
  }

  beforeAll(async () => {
    ctx = testContext();
    queueUrl = (await ctx.sqs().send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    topicArn = (await ctx.sns().send(new CreateTopicCommand({ Name: name }))).TopicArn!;
    await ctx
      .sns()
      .send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn(ctx.config, name), Attributes: { RawMessageDelivery: 'true' } }));
  });
  afterAll(async () => {
    await ctx.sqs().send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    await ctx.sns().send(new DeleteTopicCommand({ TopicArn: topicArn }));
    await ctx.lifecycle.close();
  });

  it('23 publishes in one turn leave in 3 PublishBatch requests and all 23 reach the subscribed queue', async () => {
    const sns = ctx.sns();
    count(sns as unknown as { middlewareStack: SQSClient['middlewareStack'] });
    requests.length = 0;
    const publish = createSnsBatchPublisher(sns);
    const messages = Array.from({ length: 23 }, (_, i) => `published-${i}`);
    await Promise.all(messages.map((m) => publish(topicArn, m)));
    expect(requests).toEqual(['PublishBatchCommand', 'PublishBatchCommand', 'PublishBatchCommand']);
    expect((await receiveAll(23)).sort()).toEqual(messages.slice().sort());
  });

  it('12 sends in one turn leave in 2 SendMessageBatch requests and each arrives once', async () => {
    const sqs = ctx.sqs();
    count(sqs);
    requests.length = 0;
    const send = createSqsBatchSender(sqs, async () => queueUrl);
    const bodies = Array.from({ length: 12 }, (_, i) => `sent-${i}`);
    await Promise.all(bodies.map((b) => send(b)));
    expect(requests.filter((r) => r.startsWith('SendMessage'))).toEqual(['SendMessageBatchCommand', 'SendMessageBatchCommand']);
    expect((await receiveAll(12)).sort()).toEqual(bodies.slice().sort());
  });
});
