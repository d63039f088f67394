import type { Context } from '../platform/context';

/** A consumer started by the `consumers` role; returns a function that stops it. */
export type ConsumerStarter = (ctx: Context) => Promise<() => Promise<void>>;

/** Each journey registers its SQS and Kafka consumers here. */
export const CONSUMERS: Record<string, ConsumerStarter> = {};

/** The `consumers` role: starts every registered consumer and stops them on shutdown. */
export async function startConsumers(ctx: Context, registry = CONSUMERS): Promise<string[]> {
  for (const [name, start] of Object.entries(registry)) {
    const stop = await start(ctx);
    ctx.lifecycle.add(`consumer ${name}`, stop, (s) => s());
  }
  return Object.keys(registry);
}
