import { continueAsNew, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { MessageDeadlineBucketInput, MessageRelayInput, MessageTimerActivities } from '../contracts/messages';
import { relayTicks } from './relay-loop';

export type { MessageDeadlineBucketInput, MessageRelayInput } from '../contracts/messages';

// Local activities: a batch is a few MySQL statements and publishes, and running it inside the
// workflow task is what makes a bucket cost one workflow task and a relay tick one. Retried until
// they succeed: both are idempotent (conditional updates, deduplicated ticks, claimed rows).
const timers = proxyLocalActivities<MessageTimerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * The delivery deadline of every message whose deadline falls in one time slice: when the slice
 * ends, the messages still PENDING or SENT become FAILED (in batches), then the run ends. Started
 * with a start delay by whoever hands the first message of the slice to its channel. The ids it
 * failed are in each batch's result, in this run's history.
 */
export async function messageDeadlineBucket(input: MessageDeadlineBucketInput): Promise<number> {
  let failed = input.carried ?? 0;
  const wait = input.fireAt - Date.now();
  if (wait > 0) await sleep(wait);
  for (let inRun = 0; ; inRun++) {
    if (inRun >= 200 || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof messageDeadlineBucket>({ ...input, carried: failed });
    }
    const r = await timers.expireMessages({ from: input.fireAt - input.sliceMs, to: input.fireAt, limit: input.batch });
    failed += r.failed.length;
    if (!r.more) return failed;
  }
}

/**
 * The durable backstop of the API's own dispatch: every tick, sends the outbox rows that have
 * waited longer than `minAgeMs` (Kafka or the API was down, or the API died after its commit).
 */
export async function messageRelay(input: MessageRelayInput): Promise<void> {
  await relayTicks(input, async () => (await timers.relayMessageOutbox({ limit: input.batchSize, minAgeMs: input.minAgeMs })).claimed);
  await continueAsNew<typeof messageRelay>(input);
}
