import { condition, continueAsNew, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { DayCloseInput, LedgerActivities, OutboxRelayInput } from '../contracts/ledger';

// The contract's names, for the callers that import them from here.
export { dayCloseWorkflowId, outboxRelayId, type DayCloseInput, type OutboxRelayInput } from '../contracts/ledger';

/** A post happened: relay now instead of at the next backstop tick (sent by the API, best effort). */
export const outboxWakeSignal = defineSignal('wake');

const relay = proxyActivities<LedgerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// Continue-as-new after this many batches keeps the history short however long the relay runs.
const BATCHES_PER_RUN = 500;

/**
 * The outbox relay: claims undispatched entries in batches, applies them to the daily balances
 * exactly once, publishes `ledger.entry-posted` and marks them dispatched; sleeps on a durable
 * timer between batches unless woken by a post.
 */
export async function outboxRelay(input: OutboxRelayInput): Promise<void> {
  let woken = false;
  setHandler(outboxWakeSignal, () => {
    woken = true;
  });
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    woken = false; // a wake that arrives while the batch runs triggers another batch at once
    const { claimed } = await relay.relayOutboxBatch(input.batchSize);
    if (claimed >= input.batchSize || woken) continue;
    await condition(() => woken, input.idleMs);
  }
  await continueAsNew<typeof outboxRelay>(input);
}

/** Sleeps until the merchant's day is over (plus grace), then closes it: a durable timer, not cron. */
export async function dayClose({ merchantId, day, closeAt }: DayCloseInput): Promise<void> {
  const wait = closeAt - Date.now();
  if (wait > 0) await sleep(wait);
  await relay.closeLedgerDay(merchantId, day);
}
