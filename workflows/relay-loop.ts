import { condition, patched, sleep, workflowInfo } from '@temporalio/workflow';

// Continue-as-new after this many ticks, or once the history holds RELAY_HISTORY_EVENTS, keeps a
// relay's history short however long it runs.
const TICKS_PER_RUN = 500;
// The events bound: 500 ticks alone made 3,000–5,000 events (220–470 KB), and a
// worker that starts replays each relay's whole history: 5–7 s per relay at `npm start` on a busy
// machine (the SDK's "workflow task duration exceeded 5 seconds"), close to the 10 s
// workflow task timeout. A thousand events replay in well under a second.
export const RELAY_HISTORY_EVENTS = 1_000;

/**
 * True once this run's history has reached RELAY_HISTORY_EVENTS: time to continue as new. Runs
 * started before the bound (no marker in their history) keep the tick count alone, so they replay.
 */
export function relayHistoryFull(): boolean {
  return patched('relay-history-bound') && workflowInfo().historyLength >= RELAY_HISTORY_EVENTS;
}

/** What wakes a relay before its tick is due (a signal handler sets it; the loop clears it). */
export interface RelayWake {
  woken(): boolean;
  clear(): void;
}

/**
 * The loop of an outbox relay (the durable backstop of what the API sends right after its commit):
 * each tick drains batches until one comes back short, then sleeps `idleMs`; after a run's worth of
 * ticks (or RELAY_HISTORY_EVENTS) it returns, and the relay continues as new. `drain` handles one batch and says how many
 * rows it found.
 *
 * With `maxIdleMs` the sleep doubles after every tick that found nothing, up to `maxIdleMs`: an
 * empty outbox costs a workflow task a minute, not one every `idleMs`. A relay given `wake` then
 * sleeps until woken or its tick is due, and is back to `idleMs` after a wake or a tick that found
 * rows (a wake comes while the rows are younger than the relay's minimum age).
 */
export async function relayTicks(
  input: { batchSize: number; idleMs: number; maxIdleMs?: number },
  drain: () => Promise<number>,
  wake?: RelayWake,
): Promise<void> {
  let idleMs = input.idleMs;
  let woken = false;
  for (let i = 0; i < TICKS_PER_RUN && !relayHistoryFull(); i++) {
    let found = 0;
    let total = 0;
    do {
      found = await drain();
      total += found;
    } while (found >= input.batchSize);
    idleMs = woken || total > 0 ? input.idleMs : Math.min(idleMs * 2, input.maxIdleMs ?? input.idleMs);
    if (!wake) {
      await sleep(idleMs);
      continue;
    }
    woken = await condition(wake.woken, idleMs);
    wake.clear();
  }
}
