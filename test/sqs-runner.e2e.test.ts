import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSqsConsumer } from '../consumers/sqs-runner';
import type { Context } from '../runtime/context';
import { eventually, testContext, testEnv, uniqueId } from './support/context';

// The SQS runner on the real SNS/SQS server: handled messages of a receive are deleted together,
// once; a failed one stays and comes back; nothing handled comes back after its visibility timeout.
describe('the SQS consumer runner', () => {
  let ctx: Context;
  let queueUrl: string;
  const queueName = `${testEnv()}-${uniqueId('runner')}`;

  beforeAll(async () => {
    ctx = testContext();
    queueUrl = (await ctx.sqs().send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl!;
  });
  afterAll(async () => {
    await ctx.sqs().send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    await ctx.lifecycle.close();
  });

  it('deletes a receive’s handled messages in one batch, once each; a failed one is retried, not deleted', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => `m${i}`);
    await ctx.sqs().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })) }));
    const handled: string[] = [];
    let failedOnce = false;
    const consumer = startSqsConsumer({
      name: 'runner-test',
      sqs: ctx.sqs(),
      log: ctx.log,
      queueName,
      waitSeconds: 1,
      // Short: an undeleted message would come back (and be handled again) within the test.
      visibilityTimeoutSeconds: 2,
      retryDelaySeconds: 1,
      handle: async (body) => {
        handled.push(body);
        if (body === 'm3' && !failedOnce) {
          failedOnce = true;
          throw new Error('first try fails');
        }
      },
    });
    try {
      await eventually(async () => bodies.every((b) => handled.includes(b)) && handled.filter((b) => b === 'm3').length === 2, 20_000);
      // Past two visibility timeouts: whatever was not deleted would have been received again.
      await new Promise((r) => setTimeout(r, 5_000)); // time passing is the point: two visibility timeouts
      expect(handled.filter((b) => b !== 'm3').sort()).toEqual(bodies.filter((b) => b !== 'm3').sort());
      expect(handled.filter((b) => b === 'm3')).toHaveLength(2);
      const { Attributes } = await ctx
        .sqs()
        .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    } finally {
      await consumer.stop();
    }
  }, 60_000);

  it('a message failing because MySQL is down pauses receiving until MySQL answers: the outage costs it one receive, not one per retry', async () => {
    await ctx.sqs().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: 'during-outage' }] }));
    let down = true;
    let checks = 0;
    const receives: string[] = [];
    const consumer = startSqsConsumer({
      name: 'runner-outage-test',
      sqs: ctx.sqs(),
      log: ctx.log,
      queueName,
      waitSeconds: 1,
      visibilityTimeoutSeconds: 2,
      retryDelaySeconds: 1,
      checks: {
        mysql: async () => {
          checks++;
          if (down) throw new Error('connect ECONNREFUSED');
        },
      },
      handle: async (_body, message) => {
        receives.push(message.Attributes?.ApproximateReceiveCount ?? '?');
        // What mysql2 throws when the server is gone (platform/dependency-errors.ts).
        if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED', errno: -111, fatal: true });
      },
    });
    try {
      await eventually(async () => checks >= 2, 20_000);
      // Four retry delays: without the pause the message would have been received four more times.
      await new Promise((r) => setTimeout(r, 4_000)); // time passing is the point
      expect(receives).toEqual(['1']);
      down = false;
      await eventually(async () => receives.length === 2, 20_000);
      expect(receives).toEqual(['1', '2']);
      await eventually(async () => {
        const { Attributes } = await ctx
          .sqs()
          .send(
            new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
          );
        return Attributes?.ApproximateNumberOfMessages === '0' && Attributes?.ApproximateNumberOfMessagesNotVisible === '0';
      }, 20_000);
    } finally {
      await consumer.stop();
    }
  }, 60_000);
});
