// Names of every topic, queue, consumer group and key prefix the system uses, in one place so
// provisioning and the code that produces or consumes can never disagree. Every name is scoped to
// an environment (config.TIDINGS_ENV): the live system, each test run and each benchmark share the
// same servers and never see each other's messages.

/** Kafka topics (base names); each has a `<topic>.dlq` for records that cannot be processed. */
const TOPIC_BASES = {
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

/** An SNS topic and the queues subscribed to it (raw message delivery). */
export interface SnsTopicSpec {
  name: string;
  queues: readonly QueueSpec[];
}

type Mapped<T, V> = { -readonly [K in keyof T]: V };
const mapValues = <T extends object, V>(o: T, f: (v: T[keyof T]) => V): Mapped<T, V> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v as T[keyof T])])) as Mapped<T, V>;

/** Every resource name of one environment. */
export function resourceNames(env: string) {
  const queue = (base: string, maxReceiveCount?: number): QueueSpec => ({
    name: `${env}-${base}`,
    ...(maxReceiveCount ? { dlq: { name: `${env}-${base}-dlq`, maxReceiveCount } } : {}),
  });
  const queues = {
    purchaseProcessing: queue('purchase-processing', 5),
    purchaseResults: queue('purchase-results', 5),
    eventsB: queue('events-b', 5),
    eventsC: queue('events-c', 5),
    notifyEmail: queue('notify-email', 5),
    notifySms: queue('notify-sms', 5),
    notifyPush: queue('notify-push', 5),
    ping: queue('tidings-ping'),
  };
  const sns = (base: string, subscribed: QueueSpec[]): SnsTopicSpec => ({ name: `${env}-${base}`, queues: subscribed });
  const topics = mapValues(TOPIC_BASES, (base) => `${env}.${base}`);
  return {
    env,
    /** Kafka topics. */
    topics,
    /** SQS queues. */
    queues,
    /** SNS topics and the queues each feeds. */
    snsTopics: {
      purchaseRequested: sns('purchase-requested', [queues.purchaseProcessing]),
      purchaseCancelled: sns('purchase-cancelled', [queues.purchaseProcessing]),
      events: sns('events', [queues.eventsB, queues.eventsC]),
      notifyEmail: sns('notify-email', [queues.notifyEmail]),
      notifySms: sns('notify-sms', [queues.notifySms]),
      notifyPush: sns('notify-push', [queues.notifyPush]),
      ping: sns('tidings-ping', [queues.ping]),
    },
    /** A Kafka consumer group of this environment. */
    group: (prefix: string, consumer: string): string => `${env}.${prefix}-${consumer}`,
    /** Every Kafka topic to create, dead-letter topics included. */
    allKafkaTopics(): string[] {
      const base: string[] = Object.values(topics);
      return [...base, ...base.filter((t) => t !== topics.ping).map(dlqTopic)];
    },
    /** Every SQS queue, dead-letter queues included. */
    allQueues(): string[] {
      return Object.values(queues).flatMap((q) => [q.name, ...(q.dlq ? [q.dlq.name] : [])]);
    },
    /** Prefix of every Redis key and pub/sub channel. */
    redisPrefix: `${env}:`,
    /** Prefix of every workflow id (ids are `<env>.<kind>-<id>`), so two environments never collide. */
    workflowIdPrefix: `${env}.`,
  };
}

export type ResourceNames = ReturnType<typeof resourceNames>;

const cache = new Map<string, ResourceNames>();
/** The names of the configured environment (memoized; names are pure functions of the env). */
export function namesOf(config: { TIDINGS_ENV: string }): ResourceNames {
  let names = cache.get(config.TIDINGS_ENV);
  if (!names) cache.set(config.TIDINGS_ENV, (names = resourceNames(config.TIDINGS_ENV)));
  return names;
}

/**
 * A fresh environment name for one test run or benchmark: `<kind>-<ms since epoch, base 36>-<random>`,
 * so that leftovers of a run that died can be recognised and pruned by age.
 */
export function newEphemeralEnv(kind: 'test' | 'bench'): string {
  const random = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${kind}-${Date.now().toString(36)}-${random}`;
}

/** How old an ephemeral environment is (ms), or undefined for any other environment (the live one). */
export function ephemeralEnvAge(env: string, now = Date.now()): number | undefined {
  const match = /^(?:test|bench)-([0-9a-z]{6,10})-[0-9a-f]{4}$/.exec(env);
  return match?.[1] ? now - parseInt(match[1], 36) : undefined;
}
