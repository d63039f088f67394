import { sleep } from '@temporalio/workflow';

// Continue-as-new after this many ticks keeps a relay's history short however long it runs.
const TICKS_PER_RUN = 500;

/**
 * The loop of an outbox relay (the durable backstop of what the API sends right after its commit):
 * each tick drains batches until one comes back short, then sleeps `idleMs`; after a run's worth of
 * ticks it returns, and the relay continues as new. `drain` handles one batch and says how many
 * rows it found.
 */
export async function relayTicks(input: { batchSize: number; idleMs: number }, drain: () => Promise<number>): Promise<void> {
  for (let i = 0; i < TICKS_PER_RUN; i++) {
    let found = 0;
    do found = await drain();
    while (found >= input.batchSize);
    await sleep(input.idleMs);
  }
}
