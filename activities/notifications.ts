import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import { userChannel } from '../contracts/channels';
import type { Channel, NotificationRequest } from '../domain/notification';
import type { Publisher } from '../gateway/publisher';
import { topicArn } from '../platform/clients/aws';
import type { Config } from '../platform/config';
import { dlqTopic, namesOf } from '../platform/names';

export interface NotificationDeps {
  config: Config;
  mysql: Pool;
  sns: SNSClient;
  producer: () => Promise<Producer>;
  publisher: () => Publisher;
}

/** The SNS topic of a delivery channel other than web. */
function snsTopicFor(config: Config, channel: 'email' | 'sms' | 'push'): string {
  const topics = namesOf(config).snsTopics;
  return { email: topics.notifyEmail, sms: topics.notifySms, push: topics.notifyPush }[channel].name;
}

/**
 * Delivery of one notification by its channel, and its dead letter: the steps the bucket's
 * activity (activities/notification-scheduler.ts) runs for each notification it fires.
 */
export function createNotificationDelivery(deps: NotificationDeps) {
  /** One strategy per channel: `web` is the user's live connections (and the channel history). */
  const strategies: Record<Channel, (n: NotificationRequest) => Promise<string>> = {
    async web(n) {
      const { offset, connections } = await deps
        .publisher()
        .publish(
          userChannel(n.userId),
          'notification',
          { notificationId: n.notificationId, title: n.title, body: n.body, template: n.template, data: n.data, sendAt: n.sendAt },
          { dedupeId: `notification:${n.notificationId}` },
        );
      return `user channel offset ${offset}, ${connections ?? 0} live connection(s)`;
    },
    email: (n) => publishTo('email', n),
    sms: (n) => publishTo('sms', n),
    push: (n) => publishTo('push', n),
  };
  async function publishTo(channel: 'email' | 'sms' | 'push', n: NotificationRequest): Promise<string> {
    // The id travels as an attribute so email/sms/push senders can drop a repeat (a batch retried
    // after a crash delivers again under the same id).
    const { MessageId } = await deps.sns.send(
      new PublishCommand({
        TopicArn: topicArn(deps.config, snsTopicFor(deps.config, channel)),
        Message: JSON.stringify(n),
        MessageAttributes: { notificationId: { DataType: 'String', StringValue: n.notificationId } },
      }),
    );
    return `sns ${snsTopicFor(deps.config, channel)} ${MessageId ?? ''}`;
  }

  return {
    async deliverNotification(n: NotificationRequest): Promise<string> {
      return strategies[n.channel](n);
    },

    /** The last attempt failed: the notification goes to `notifications.dlq` with the reason. */
    async deadLetterNotification(n: NotificationRequest, reason: string): Promise<void> {
      const producer = await deps.producer();
      await producer.send({
        topic: dlqTopic(namesOf(deps.config).topics.notifications),
        messages: [{ key: n.notificationId, value: JSON.stringify(n), headers: { 'x-dlq-reason': reason, 'x-source': 'delivery' } }],
      });
    },
  };
}
