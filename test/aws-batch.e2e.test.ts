import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueArn } from '../platform/clients/aws';
import { createSnsBatchPublisher, createSqsBatchSender } from '../platform/clients/aws-batch';
import { inSpan } from '../platform/trace-context';
import { installTracing } from '../platform/tracing';
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
    return (await receiveWithTrace(expected)).map((m) => m.body);
  }
  async function receiveWithTrace(expected: number): Promise<{ body: string; traceparent?: string }[]> {
    const received: { body: string; traceparent?: string }[] = [];
    const deadline = Date.now() + 20_000;
    while (received.length < expected && Date.now() < deadline) {
      const { Messages = [] } = await ctx.sqs().send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 60,
          MessageAttributeNames: ['traceparent'],
        }),
      );
      received.push(...Messages.map((m) => ({ body: m.Body ?? '', traceparent: m.MessageAttributes?.traceparent?.StringValue })));
    }
    return received;
  }

  beforeAll(async () => {
    ctx = testContext({ TRACING: 'true' });
    installTracing(ctx.config, ctx.log);
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

  it('each batched entry carries the trace of its own sender, not the trace of the one whose turn sent the batch', async () => {
    requests.length = 0;
    const publish = createSnsBatchPublisher(ctx.sns());
    const send = createSqsBatchSender(ctx.sqs(), async () => queueUrl);
    const traces: Record<string, string> = {};
    await Promise.all(
      ['via-sns-a', 'via-sns-b', 'via-sqs-c', 'via-sqs-d'].map((body) =>
        inSpan(body, { root: true }, async (span) => {
          traces[body] = span.spanContext().traceId;
          await (body.startsWith('via-sns') ? publish(topicArn, body) : send(body));
        }),
      ),
    );
    expect(requests.filter((r) => r === 'PublishBatchCommand' || r === 'SendMessageBatchCommand')).toHaveLength(2);
    const received = await receiveWithTrace(4);
    expect(received.map((m) => [m.body, m.traceparent?.split('-')[1]]).sort()).toEqual(Object.entries(traces).sort());
    expect(new Set(Object.values(traces)).size).toBe(4);
  });
});
