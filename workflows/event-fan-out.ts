import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import { eventProgressQuery, eventStoredSignal, type EventActivities, type EventFanOutInput, type EventProgress } from '../contracts/events';

// Publishing retries until the broker takes it: the API already accepted the event.
const brokers = proxyActivities<EventActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The durable dual write: SNS (fanned out to queues events-b and events-c) and Kafka `events`,
 * each its own retried activity, then both consumers' confirmations within a deadline.
 */
export async function eventFanOut({ event, confirmTimeoutMs }: EventFanOutInput): Promise<EventProgress> {
  const progress: EventProgress = { status: 'PUBLISHING', published: { sns: false, kafka: false }, stored: { b: false, c: false } };
  setHandler(eventStoredSignal, ({ sink }) => {
    progress.stored[sink] = true;
  });
  setHandler(eventProgressQuery, () => progress);

  await Promise.all([
    brokers.publishEventToSns(event).then(() => (progress.published.sns = true)),
    brokers.publishEventToKafka(event).then(() => (progress.published.kafka = true)),
  ]);
  progress.status = 'AWAITING_CONSUMERS';
  const confirmed = await condition(() => progress.stored.b && progress.stored.c, confirmTimeoutMs);
  progress.status = confirmed ? 'COMPLETED' : 'INCOMPLETE';
  await brokers.finishEvent(event.eventId, event.userId, progress.status);
  return progress;
}
