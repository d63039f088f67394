/**
 * Turns one-at-a-time sends into batch requests without making any caller wait for a timer: what
 * is submitted in the same turn of the event loop (the handlers of one SQS receive, the rows of
 * one outbox claim, the pushes of one gateway tick) goes out together, at most `maxBatch` per
 * request. Each caller still learns its own outcome: a batch API answers per entry, and a failed
 * entry rejects only its caller.
 *
 * Why: the SNS/SQS server here (moto) costs the same per request whether it carries one message or
 * ten, and it is the purchase journey's ceiling (docs/purchase-journey.md, "Broker requests"); a
 * Redis script call costs the gateway's publisher one command per batch instead of one per event.
 */
export interface MicroBatchOptions<T, R> {
  maxBatch: number;
  /**
   * Sends one batch; returns, per item, its result (undefined when there is none) or the Error
   * that kept it back. A result is never an Error itself.
   */
  sendBatch: (items: T[]) => Promise<Array<R | Error>>;
}

/** Returns `submit(item)`, which resolves with the item's own result once its batch went out. */
export function createMicroBatcher<T, R = undefined>(opts: MicroBatchOptions<T, R>): (item: T) => Promise<R> {
  // Items and their callers' settle functions side by side: no wrapper object per item (the
  // gateway publishes every push through this).
  let items: T[] = [];
  let resolves: Array<(r: R) => void> = [];
  let rejects: Array<(err: Error) => void> = [];
  let scheduled = false;

  const sendOne = async (batch: T[], ok: Array<(r: R) => void>, fail: Array<(err: Error) => void>) => {
    let outcomes: Array<R | Error>;
    try {
      outcomes = await opts.sendBatch(batch);
    } catch (err) {
      for (const reject of fail) reject(err as Error);
      return;
    }
    for (let i = 0; i < ok.length; i++) {
      const r = outcomes[i] as R | Error;
      if (r instanceof Error) fail[i]!(r);
      else ok[i]!(r);
    }
  };
  const flush = () => {
    scheduled = false;
    const all = items;
    const ok = resolves;
    const fail = rejects;
    items = [];
    resolves = [];
    rejects = [];
    if (all.length <= opts.maxBatch) void sendOne(all, ok, fail);
    else
      for (let i = 0; i < all.length; i += opts.maxBatch)
        void sendOne(all.slice(i, i + opts.maxBatch), ok.slice(i, i + opts.maxBatch), fail.slice(i, i + opts.maxBatch));
  };

  return (item: T) =>
    new Promise<R>((resolve, reject) => {
      items.push(item);
      resolves.push(resolve);
      rejects.push(reject);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
