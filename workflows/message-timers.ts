import { continueAsNew, proxyLocalActivities } from '@temporalio/workflow';
import { MESSAGE_DEADLINE_BUCKET_WORKFLOW, type MessageDeadlineBucketInput, type MessageRelayInput, type MessageTimerActivities } from '../contracts/messages';
import { BATCH_ACTIVITY, deadlineBucket } from './deadline-bucket';
import { relayTicks } from './relay-loop';

export type { MessageDeadlineBucketInput, MessageRelayInput } from '../contracts/messages';

const timers = proxyLocalActivities<MessageTimerActivities>(BATCH_ACTIVITY);

/**
 * The delivery deadline of every message whose deadline falls in one time slice: when the slice
 * ends, the messages still PENDING or SENT become FAILED (in batches), then the run ends. Started
 * with a start delay by whoever hands the first message of the slice to its channel. Returns how
 * many it failed; the ids are in each batch's result, in this run's history.
 */
export const messageDeadlineBucket = deadlineBucket(MESSAGE_DEADLINE_BUCKET_WORKFLOW, {
  totals: (carried?: number) => carried ?? 0,
  fire: (input: MessageDeadlineBucketInput) => timers.expireMessages({ from: input.fireAt - input.sliceMs, to: input.fireAt, limit: input.batch }),
  add: (failed, batch) => failed + batch.failed.length,
});

/**
 * The durable backstop of the API's own dispatch: every tick, sends the outbox rows that have
 * waited longer than `minAgeMs` (Kafka or the API was down, or the API died after its commit).
 */
export async function messageRelay(input: MessageRelayInput): Promise<void> {
  await relayTicks(input, async () => (await timers.relayMessageOutbox({ limit: input.batchSize, minAgeMs: input.minAgeMs })).claimed);
  await continueAsNew<typeof messageRelay>(input);
}
