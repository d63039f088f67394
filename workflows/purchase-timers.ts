import { continueAsNew, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { PurchaseDeadlineBucketInput, PurchaseRelayInput, PurchaseTimerActivities } from '../contracts/purchase';

export type { PurchaseDeadlineBucketInput, PurchaseRelayInput } from '../contracts/purchase';

// Local activities: a batch is a few MySQL statements, pushes and publishes; running it inside the
// workflow task is what makes a bucket cost one workflow task and a relay tick one. Retried until
// they succeed: both are idempotent (conditional updates, deduplicated pushes, claimed rows).
const timers = proxyLocalActivities<PurchaseTimerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * The fulfillment deadline of every purchase whose deadline falls in one time slice: when the
 * slice ends, the purchases still PENDING or PROCESSING become EXPIRED and are compensated
 * (PurchaseCancelled), in batches, then the run ends. Started with a start delay by whoever
 * dispatches the first purchase of the slice. Each batch's result names the purchases it expired.
 */
export async function purchaseDeadlineBucket(input: PurchaseDeadlineBucketInput): Promise<number> {
  let expired = input.carried ?? 0;
  const wait = input.fireAt - Date.now();
  if (wait > 0) await sleep(wait);
  for (let inRun = 0; ; inRun++) {
    if (inRun >= 200 || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof purchaseDeadlineBucket>({ ...input, carried: expired });
    }
    const r = await timers.expirePurchases({ from: input.fireAt - input.sliceMs, to: input.fireAt, limit: input.batch });
    expired += r.expired.length;
    if (!r.more) return expired;
  }
}

// Continue-as-new after this many ticks keeps the history short however long the relay runs.
const TICKS_PER_RUN = 500;

/**
 * The durable backstop of the API's own dispatch: every tick, sends the outbox rows that have
 * waited longer than `minAgeMs` (SNS, Temporal or the API was down, or the API died after its commit).
 */
export async function purchaseRelay(input: PurchaseRelayInput): Promise<void> {
  for (let i = 0; i < TICKS_PER_RUN; i++) {
    let claimed = 0;
    do claimed = (await timers.relayPurchaseOutbox({ limit: input.batchSize, minAgeMs: input.minAgeMs })).claimed;
    while (claimed >= input.batchSize);
    await sleep(input.idleMs);
  }
  await continueAsNew<typeof purchaseRelay>(input);
}
