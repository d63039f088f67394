// Names of every topic, queue and table prefix the system uses, in one place so provisioning
// and the code that produces or consumes can never disagree.

/** Kafka topics; each has a `<topic>.dlq` for records that cannot be processed. */
export const KAFKA_TOPICS = {
  messages: 'messages',
  msgStatus: 'msg.status',
  notifications: 'notifications',
  events: 'events',
  ledgerEntryPosted: 'ledger.entry-posted',
  ping: 'tidings.ping',
} as const;

/** The dead-letter topic for a Kafka topic. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** An SQS queue; `dlq` queues get a redrive policy after `maxReceiveCount` receives. */
export interface QueueSpec {
  name: string;
  dlq?: { name: string; maxReceiveCount: number };
}

const withDlq = (name: string, maxReceiveCount = 5): QueueSpec => ({
  name,
  dlq: { name: `${name}-dlq`, maxReceiveCount },
});

/** SQS queues. */
export const QUEUES = {
  purchaseProcessing: withDlq('purchase-processing'),
  purchaseResults: withDlq('purchase-results'),
  eventsB: withDlq('events-b'),
  eventsC: withDlq('events-c'),
  notifyEmail: withDlq('notify-email'),
  notifySms: withDlq('notify-sms'),
  notifyPush: withDlq('notify-push'),
  ping: { name: 'tidings-ping' },
} as const satisfies Record<string, QueueSpec>;

/** SNS topics and the queues subscribed to each (raw message delivery). */
export const SNS_TOPICS = {
  purchaseRequested: { name: 'purchase-requested', queues: [QUEUES.purchaseProcessing] },
  purchaseCancelled: { name: 'purchase-cancelled', queues: [QUEUES.purchaseProcessing] },
  events: { name: 'events', queues: [QUEUES.eventsB, QUEUES.eventsC] },
  notifyEmail: { name: 'notify-email', queues: [QUEUES.notifyEmail] },
  notifySms: { name: 'notify-sms', queues: [QUEUES.notifySms] },
  notifyPush: { name: 'notify-push', queues: [QUEUES.notifyPush] },
  ping: { name: 'tidings-ping', queues: [QUEUES.ping] },
} as const satisfies Record<string, { name: string; queues: readonly QueueSpec[] }>;

/** Every Kafka topic to create, dead-letter topics included. */
export function allKafkaTopics(): string[] {
  const base: string[] = Object.values(KAFKA_TOPICS);
  return [...base, ...base.filter((t) => t !== KAFKA_TOPICS.ping).map(dlqTopic)];
}
