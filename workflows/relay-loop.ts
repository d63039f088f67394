import { condition, sleep } from '@temporalio/workflow';

// Continue-as-new after this many ticks keeps a relay's history short however long it runs.
const TICKS_PER_RUN = 500;

/** What wakes a relay before its tick is due (a signal handler sets it; the loop clears it). */
export interface RelayWake {
  woken(): boolean;
  clear(): void;
}

/**
 * The loop of an outbox relay (the durable backstop of what the API sends right after its commit):
 * each tick drains batches until one comes back short, then sleeps `idleMs`; after a run's worth of
 * ticks it returns, and the relay continues as new. `drain` handles one batch and says how many
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
  for (let i = 0; i < TICKS_PER_RUN; i++) {
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
