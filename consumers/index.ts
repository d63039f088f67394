import type { Context } from '../runtime/context';
import { startEventSinkFromSqs, startEventSinkFromSqsAndKafka } from './events';
import { startMessageStatusConsumer } from './message-status';
import { startNotificationsConsumer } from './notifications';
import { startFulfillment, startPurchaseResults } from './purchases';

/** A consumer started by the `consumers` role; returns a function that stops it. */
export type ConsumerStarter = (ctx: Context) => Promise<() => Promise<void>>;

const stopOf =
  (start: (ctx: Context) => Promise<{ stop: () => Promise<void> }>): ConsumerStarter =>
  async (ctx) =>
    (await start(ctx)).stop;

/** Every SQS and Kafka consumer, by name; each journey adds its own. */
export const CONSUMERS: Record<string, ConsumerStarter> = {
  'events-b': stopOf(startEventSinkFromSqs),
  'events-c': stopOf(startEventSinkFromSqsAndKafka),
  fulfillment: stopOf(startFulfillment),
  'purchase-results': stopOf(startPurchaseResults),
  notifications: stopOf(startNotificationsConsumer),
  'msg-status': stopOf(startMessageStatusConsumer),
};

/** The `consumers` role: starts every registered consumer and stops them on shutdown. */
export async function startConsumers(ctx: Context, registry = CONSUMERS): Promise<string[]> {
  const stops: (() => Promise<void>)[] = [];
  for (const start of Object.values(registry)) stops.push(await start(ctx));
  // Stopped together: each may be finishing a long poll, and shutdown should cost one, not the sum.
  ctx.lifecycle.add('consumers', stops, (all) => Promise.all(all.map((stop) => stop())).then(() => undefined));
  return Object.keys(registry);
}
