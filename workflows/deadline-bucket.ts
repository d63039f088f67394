import { continueAsNew, sleep, workflowInfo, type LocalActivityOptions } from '@temporalio/workflow';

/**
 * Options of the local activities that do a bucket's (and a relay's) batches: a batch is a few
 * MySQL statements and publishes, and running it inside the workflow task is what makes a whole
 * bucket cost one or two workflow tasks and a relay tick one. Retried until it succeeds: every
 * batch is idempotent (conditional updates, claimed rows, deduplicated pushes and deliveries).
 */
export const BATCH_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
};

/** What every bucket's input holds besides its journey's own fields. */
export interface BucketInput<T> {
  /** When the bucket fires (ms since epoch): the end of its time slice. */
  fireAt: number;
  /** Continue as new after this many batches in one run (keeps the history bounded); 200 unless set. */
  maxBatchesPerRun?: number;
  /** Totals carried over from earlier runs of this bucket (continue-as-new). */
  carried?: T;
}

/**
 * Makes a journey's deadline-bucket workflow: one run per time slice (and shard) that sleeps until
 * its slice ends, then fires what is due in batches until a batch comes back short, and returns
 * the totals. The rows live in MySQL, so what a bucket costs Temporal does not grow with what it
 * holds; each batch's result (the ids and what happened to them) is in the run's history. Each
 * journey exports its own under its own workflow type, `name` (the function's name, which clients
 * that start it by function use), so the Web UI names the journey.
 *
 * `fire` runs one batch (a local activity); `totals` starts the count from what earlier runs
 * carried, `add` counts a batch in.
 */
export function deadlineBucket<I extends BucketInput<T>, T, R extends { more: boolean }>(
  name: string,
  spec: {
    totals: (carried: T | undefined) => T;
    fire: (input: I) => Promise<R>;
    add: (totals: T, batch: R) => T;
  },
): (input: I) => Promise<T> {
  const bucket = async (input: I): Promise<T> => {
    let totals = spec.totals(input.carried);
    const wait = input.fireAt - Date.now();
    if (wait > 0) await sleep(wait);
    for (let inRun = 0; ; inRun++) {
      if (inRun >= (input.maxBatchesPerRun ?? 200) || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<(input: I) => Promise<T>>({ ...input, carried: totals });
      }
      const batch = await spec.fire(input);
      totals = spec.add(totals, batch);
      if (!batch.more) return totals;
    }
  };
  return Object.defineProperty(bucket, 'name', { value: name });
}
