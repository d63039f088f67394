import { continueAsNew, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { purchaseRelayWakeSignal, type PurchaseRelayActivities, type PurchaseRelayInput } from '../contracts/purchase';
import { BATCH_ACTIVITY } from './deadline-bucket';
import { relayTicks } from './relay-loop';

// A batch of starts is a MySQL read, the starts and a delete; a start is idempotent by workflow id.
const relay = proxyLocalActivities<PurchaseRelayActivities>(BATCH_ACTIVITY);

/**
 * The durable backstop of the API's own start: starts the runs of purchases accepted more than
 * `minAgeMs` ago whose outbox row is still there (Temporal was down at the POST, or the API died
 * between its commit and the start). Accepted means started, sooner or later. While the outbox
 * stays empty its ticks back off to one every `maxIdleMs`; an API whose start failed wakes it
 * (`purchaseRelayWake`) once Temporal takes the signal.
 */
export async function purchaseRelay(input: PurchaseRelayInput): Promise<void> {
  let woken = false;
  setHandler(purchaseRelayWakeSignal, () => {
    woken = true;
  });
  await relayTicks(input, async () => (await relay.startAcceptedPurchases({ limit: input.batchSize, minAgeMs: input.minAgeMs })).found, {
    woken: () => woken,
    clear: () => {
      woken = false;
    },
  });
  await continueAsNew<typeof purchaseRelay>(input);
}
