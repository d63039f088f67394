import { condition, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { eventProgressQuery, eventStoredSignal, type EventActivities, type EventFanOutInput, type EventProgress } from '../contracts/events';

// Publishing retries until the broker takes it: the API already accepted the event.
const retried = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
// Local activities: each step is one short, idempotent write (SNS, Kafka, MySQL), so both publishes
// run inside the run's first workflow task and the verdict inside the task of the last
// confirmation: 2–3 workflow tasks an event instead of 4–6, and no activity tasks for the server
// to match: less work for the dev server, whose one core is the soak's limit at twice its default
// rates (docs/reliability.md). Each step is still a marker in the history. Runs started before keep their activities (`patched`), so their histories replay.
const localSteps = proxyLocalActivities<EventActivities>(retried);
const activitySteps = proxyActivities<EventActivities>(retried);

// Publishes to SNS again while a consumer has not confirmed: the deadline is split in this many
// slices plus one. A copy the broker took can still be lost (an SNS/SQS server that keeps its
// queues in memory, restarted: docs/reliability.md); each consumer stores an event once, so a
// second copy is harmless.
const REDELIVERIES = 3;

/**
 * The durable dual write: SNS (fanned out to queues events-b and events-c) and Kafka `events`,
 * each its own retried step, then both consumers' confirmations within a deadline, publishing
 * to SNS again while one is missing.
 */
export async function eventFanOut({ event, confirmTimeoutMs }: EventFanOutInput): Promise<EventProgress> {
  const progress: EventProgress = { status: 'PUBLISHING', published: { sns: false, kafka: false }, stored: { b: false, c: false } };
  setHandler(eventStoredSignal, ({ sink }) => {
    progress.stored[sink] = true;
  });
  setHandler(eventProgressQuery, () => progress);
  const brokers = patched('event-steps-local') ? localSteps : activitySteps;

  await Promise.all([
    brokers.publishEventToSns(event).then(() => (progress.published.sns = true)),
    brokers.publishEventToKafka(event).then(() => (progress.published.kafka = true)),
  ]);
  progress.status = 'AWAITING_CONSUMERS';
  const allStored = () => progress.stored.b && progress.stored.c;
  let confirmed: boolean;
  if (patched('redeliver-unconfirmed-events')) {
    const slice = Math.floor(confirmTimeoutMs / (REDELIVERIES + 1));
    confirmed = await condition(allStored, slice);
    for (let i = 0; !confirmed && i < REDELIVERIES; i++) {
      await brokers.publishEventToSns(event);
      confirmed = await condition(allStored, slice);
    }
  } else confirmed = await condition(allStored, confirmTimeoutMs);
  progress.status = confirmed ? 'COMPLETED' : 'INCOMPLETE';
  // The store may know better (confirmations that came after the deadline); runs recorded before
  // this returned nothing, hence the guard.
  const written = await brokers.finishEvent(event.eventId, event.userId, progress.status);
  if (written) progress.status = written;
  return progress;
}
