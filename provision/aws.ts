import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueArn } from '../platform/clients/aws';
import type { Config } from '../platform/config';
import type { QueueSpec } from '../platform/names';

/** Creates a queue (and its dead-letter queue with a redrive policy) if missing; returns its URL. */
export async function ensureQueue(sqs: SQSClient, config: Config, spec: QueueSpec): Promise<string> {
  if (spec.dlq) await ensureQueue(sqs, config, { name: spec.dlq.name });
  // CreateQueue is idempotent for an existing queue when called without attributes; attributes are
  // then set separately so a changed redrive policy is applied to queues created by older versions.
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: spec.name }));
  if (!QueueUrl) throw new Error(`SQS returned no URL for queue ${spec.name}`);
  const attributes: Record<string, string> = {
    // Lets SNS topics of this account deliver to the queue (needed on real AWS; moto ignores it).
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn(config, spec.name),
        },
      ],
    }),
  };
  if (spec.dlq) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: queueArn(config, spec.dlq.name),
      maxReceiveCount: spec.dlq.maxReceiveCount,
    });
  }
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

/** Creates an SNS topic if missing and subscribes each queue once, with raw message delivery. */
export async function ensureTopic(sns: SNSClient, sqs: SQSClient, config: Config, topic: { name: string; queues: readonly QueueSpec[] }): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: topic.name }));
  if (!TopicArn) throw new Error(`SNS returned no ARN for topic ${topic.name}`);
  const subscribed = new Set<string>();
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn, NextToken }));
    for (const s of page.Subscriptions ?? []) if (s.Endpoint) subscribed.add(s.Endpoint);
    NextToken = page.NextToken;
  } while (NextToken);
  for (const queue of topic.queues) {
    await ensureQueue(sqs, config, queue);
    const endpoint = queueArn(config, queue.name);
    if (subscribed.has(endpoint)) continue;
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: endpoint,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
  }
  return TopicArn;
}
