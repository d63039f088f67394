import { condition, continueAsNew, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { LedgerActivities } from '../activities/ledger';

/** The one outbox relay per environment and task queue. */
export const outboxRelayId = (env: string, taskQueue: string): string => `${env}.outbox-relay-${taskQueue}`;
/** A post happened: relay now instead of at the next backstop tick (sent by the API, best effort). */
export const outboxWakeSignal = defineSignal('wake');

export interface OutboxRelayInput {
  batchSize: number;
  /** The durable backstop: relay at least this often even if no hint arrives. */
  idleMs: number;
}

export interface DayCloseInput {
  merchantId: string;
  day: string;
  /** When the merchant's local day ends, plus the grace period (epoch ms). */
  closeAt: number;
}

/** One day-close per merchant and day. */
export const dayCloseWorkflowId = (env: string, merchantId: string, day: string): string => `${env}.balance-${merchantId}-${day}`;

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
