// Consumers B and C of the event fan-out: each stores the event once in its own table and
// confirms to the event's workflow. B reads SQS `events-b`; C reads SQS `events-c` and Kafka `events`.
import { WorkflowNotFoundError } from '@temporalio/client';
import { EventEnvelopeSchema } from '../contracts/event-envelope';
import { eventStoredSignal, eventWorkflowId, type EventEnvelope, type Sink } from '../contracts/events';
import { pushTrailUpdate } from '../services/event-trail';
import type { Context } from '../runtime/context';
import { namesOf } from '../platform/names';
import { storeInSink } from '../stores/events';
import { consumeKafka, consumeSqs } from './on-context';
import { parseRecord } from './parse-record';

/** Parses an event envelope off a broker; anything malformed is poison (retrying cannot fix it). */
export const parseEnvelope = (raw: string): EventEnvelope => parseRecord(EventEnvelopeSchema, raw, 'invalid event envelope');

/**
 * The confirmations this process made (or is making), per sink and event. C receives every event
 * twice (SQS and Kafka), and a run publishes to SNS again while a consumer is silent, so without it
 * a run heard "stored" two or three times: a signal write each, and one that landed while the run's
 * last workflow task was completing failed that task (UnhandledCommand) and cost another (about one
 * a second in the soak at 1.5× its rates). In memory only: a process that restarted confirms again,
 * which is what a confirmation lost in a crash between the store and the signal needs.
 */
export function createConfirmations(max = 100_000) {
  const made = new Map<string, Promise<void>>();
  return {
    /** Runs `confirm` once per key while it succeeds; a concurrent duplicate waits for the first. */
    async once(key: string, confirm: () => Promise<void>): Promise<void> {
      const underWay = made.get(key);
      if (underWay) return underWay;
      const p = confirm();
      made.set(key, p);
      // Bounded: the oldest go first (a Map keeps insertion order); forgetting one costs one signal.
      if (made.size > max) made.delete(made.keys().next().value!);
      try {
        await p;
      } catch (err) {
        made.delete(key);
        throw err;
      }
    },
  };
}
export type Confirmations = ReturnType<typeof createConfirmations>;

/** Stores the event in `sink` (once) and confirms to its workflow (once per process). */
async function consume(ctx: Context, confirmations: Confirmations, sink: Sink, raw: string, source: 'sqs' | 'kafka'): Promise<void> {
  const event = parseEnvelope(raw);
  if (await storeInSink(ctx.mysql(), sink, event, source)) {
    await pushTrailUpdate(ctx.publisher(), event.userId, event.eventId, `stored_${sink}`);
  }
  await confirmations.once(`${sink}:${event.eventId}`, async () => {
    try {
      const client = await ctx.temporal();
      await client.workflow.getHandle(eventWorkflowId(ctx.config.TIDINGS_ENV, event.eventId)).signal(eventStoredSignal, { sink });
    } catch (err) {
      // The run ended (deadline passed) or never existed; the stored row and the trail are the truth.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      ctx.log.debug({ eventId: event.eventId, sink }, 'no running workflow to confirm to');
    }
  });
}

export interface EventConsumerOptions {
  /** Kafka consumer group of C (tests use their own). */
  groupId?: string;
  fromBeginning?: boolean;
  waitSeconds?: number;
}

/** One consumer's SQS queue: each message stored in `sink` and confirmed. */
function sqsSink(ctx: Context, confirmations: Confirmations, sink: Sink, queueName: string, opts: EventConsumerOptions) {
  return consumeSqs(ctx, `events-${sink}`, queueName, { waitSeconds: opts.waitSeconds }, (body) => consume(ctx, confirmations, sink, body, 'sqs'));
}

/** Consumer B: stores each event from SQS `events-b` (SNS `events`) in `event_store_b`, once, and confirms it to the run. */
export async function startEventSinkFromSqs(ctx: Context, opts: EventConsumerOptions = {}) {
  const sqs = sqsSink(ctx, createConfirmations(), 'b', namesOf(ctx.config).queues.eventsB.name, opts);
  return { ready: Promise.resolve(), stop: () => sqs.stop() };
}

/**
 * Consumer C: stores each event in `event_store_c` once, from whichever copy arrives first, SQS `events-c`
 * (SNS `events`) or Kafka `events`, and confirms it to the run.
 */
export async function startEventSinkFromSqsAndKafka(ctx: Context, opts: EventConsumerOptions = {}) {
  // One memory for both copies: whichever arrives second finds the first's confirmation.
  const confirmations = createConfirmations();
  const sqs = sqsSink(ctx, confirmations, 'c', namesOf(ctx.config).queues.eventsC.name, opts);
  const kafka = await consumeKafka(ctx, 'events-c', namesOf(ctx.config).topics.events, opts, (message) =>
    consume(ctx, confirmations, 'c', message.value?.toString() ?? '', 'kafka'),
  );
  return {
    ready: kafka.ready,
    async stop() {
      await Promise.all([sqs.stop(), kafka.stop()]);
    },
  };
}
