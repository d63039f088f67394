import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { Publisher } from '../gateway/publisher';
import { topicArn } from '../platform/clients/aws';
import type { Config } from '../platform/config';
import { namesOf } from '../platform/names';
import type { EventActivities, EventEnvelope } from '../contracts/events';
import type { EventVerdict } from '../stores/events';
import { pushTrailUpdate } from '../services/event-trail';
import { finishEvent, recordTrailStep } from '../stores/events';

export interface EventDeps {
  config: Config;
  sns: SNSClient;
  producer: () => Promise<Producer>;
  mysql: Pool;
  publisher: () => Publisher;
}

/** Activities of the event fan-out workflow: one per broker, each recording its trail step. */
export function createEventActivities(deps: EventDeps): EventActivities {
  return {
    async publishEventToSns(event: EventEnvelope): Promise<string> {
      const { MessageId } = await deps.sns.send(
        new PublishCommand({ TopicArn: topicArn(deps.config, namesOf(deps.config).snsTopics.events.name), Message: JSON.stringify(event) }),
      );
      if (await recordTrailStep(deps.mysql, event.eventId, 'published_sns', `sns message ${MessageId ?? '?'}`)) {
        await pushTrailUpdate(deps.publisher(), event.userId, event.eventId, 'published_sns');
      }
      return MessageId ?? '';
    },

    async publishEventToKafka(event: EventEnvelope): Promise<string> {
      const producer = await deps.producer();
      // Keyed by event id: one event's copies land on one partition.
      const [meta] = await producer.send({ topic: namesOf(deps.config).topics.events, messages: [{ key: event.eventId, value: JSON.stringify(event) }] });
      const where = `partition ${meta?.partition ?? '?'} offset ${meta?.baseOffset ?? '?'}`;
      if (await recordTrailStep(deps.mysql, event.eventId, 'published_kafka', where)) {
        await pushTrailUpdate(deps.publisher(), event.userId, event.eventId, 'published_kafka');
      }
      return where;
    },

    async finishEvent(eventId: string, userId: string, status: EventVerdict): Promise<EventVerdict> {
      const written = await finishEvent(deps.mysql, eventId, status);
      await pushTrailUpdate(deps.publisher(), userId, eventId, written);
      return written;
    },
  };
}

export type { EventActivities };
