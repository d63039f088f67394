import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { condition, continueAsNew, defineSignal, ParentClosePolicy, patched, proxyActivities, setHandler, sleep, startChild } from '@temporalio/workflow';
import { relayHistoryFull } from './relay-loop';
import { DAY_CLOSE_AS_CHILD, type DayCloseInput, type DayToClose, type LedgerActivities, type OutboxRelayInput } from '../contracts/ledger';

// The contract's names, for the callers that import them from here.
export { dayCloseWorkflowId, outboxRelayId, type DayCloseInput, type OutboxRelayInput } from '../contracts/ledger';

/** A post happened: relay now instead of at the next backstop tick (sent by the API, best effort). */
export const outboxWakeSignal = defineSignal('wake');

const relay = proxyActivities<LedgerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// Continue-as-new after this many batches, or once the history holds RELAY_HISTORY_EVENTS
// (relay-loop.ts), keeps the history short however long the relay runs.
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
  // Decided once per run: a run recorded before the change keeps its activity-started closes.
  const closesAsChildren = patched(DAY_CLOSE_AS_CHILD);
  for (let i = 0; i < BATCHES_PER_RUN && !relayHistoryFull(); i++) {
    woken = false; // a wake that arrives while the batch runs triggers another batch at once
    const { claimed, daysToClose } = closesAsChildren
      ? await relay.relayOutboxBatch(input.batchSize, { closes: 'return' })
      : await relay.relayOutboxBatch(input.batchSize);
    if (daysToClose && daysToClose.length > 0) await startDayCloses(daysToClose);
    if (claimed >= input.batchSize || woken) continue;
    await condition(() => woken, input.idleMs);
  }
  await continueAsNew<typeof outboxRelay>(input);
}

/**
 * Each day close as a child of the relay, visible under it in the Web UI. Abandoned, not cancelled,
 * when the relay continues as new or stops: the close must outlive it. A day already started (by a
 * batch whose mark did not land, or a close long over) is rejected by id and left as it is.
 */
async function startDayCloses(days: DayToClose[]): Promise<void> {
  for (const d of days) {
    try {
      await startChild(dayClose, {
        workflowId: d.workflowId,
        args: [d.input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  await relay.markDayClosesStarted(days.map(({ input }) => ({ merchantId: input.merchantId, day: input.day })));
}

/** Sleeps until the merchant's day is over (plus grace), then closes it: a durable timer, not cron. */
export async function dayClose({ merchantId, day, closeAt }: DayCloseInput): Promise<void> {
  const wait = closeAt - Date.now();
  if (wait > 0) await sleep(wait);
  await relay.closeLedgerDay(merchantId, day);
}
