/**
 * Turns one-at-a-time sends into batch requests without making any caller wait for a timer: what
 * is submitted in the same turn of the event loop (the handlers of one SQS receive, the rows of
 * one outbox claim) goes out together, at most `maxBatch` per request. Each caller still learns
 * whether its own item went out: a batch API answers per entry, and a failed entry rejects only
 * its caller.
 *
 * Why: the SNS/SQS server here (moto) costs the same per request whether it carries one message or
 * ten, and it is the purchase journey's ceiling (docs/purchase-journey.md, "Broker requests").
 */
export interface MicroBatchOptions<T> {
  maxBatch: number;
  /** Sends one batch; returns, per item, undefined when it went out or the error that kept it back. */
  sendBatch: (items: T[]) => Promise<Array<Error | undefined>>;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

export function createMicroBatcher<T>(opts: MicroBatchOptions<T>): (item: T) => Promise<void> {
  let pending: Pending<T>[] = [];
  let scheduled = false;

  const sendOne = async (batch: Pending<T>[]) => {
    try {
      const outcomes = await opts.sendBatch(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const err = outcomes[i];
        if (err) p.reject(err);
        else p.resolve();
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  };
  const flush = () => {
    scheduled = false;
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += opts.maxBatch) void sendOne(all.slice(i, i + opts.maxBatch));
  };

  return (item: T) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
