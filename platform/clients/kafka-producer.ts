import type { Producer } from 'kafkajs';
import type { Logger } from '../logger';

/**
 * The process's Kafka producer, replaced by a fresh one after any failed send.
 *
 * Why: an idempotent kafkajs producer does not recover from a broker restart. Its sequence numbers
 * drift from the broker's (a send abandoned mid-flight, or producer state the broker lost), and
 * every later send fails with "The broker received an out of order sequence number" for as long
 * as the process lives (tulios/kafkajs#598). A new producer gets a new producer id and starts its
 * sequences at zero. Every caller already retries a failed send (outbox relays, consumers that
 * commit after producing), so the retry simply goes out on the new producer; downstream is
 * idempotent, so a batch the old producer did write and the new one writes again is harmless.
 */
export function createRecoveringProducer(make: () => Promise<Producer>, log: Logger) {
  let current: Promise<Producer> | undefined;
  let replaced = 0;
  let closed = false;

  const retire = (failed: Promise<Producer>, err: unknown) => {
    if (current !== failed) return; // another failed send already replaced it
    current = undefined;
    replaced++;
    log.warn({ err, replaced }, 'kafka send failed; the next send uses a new producer');
    void failed.then((p) => p.disconnect()).catch(() => undefined);
  };

  const open = (): Promise<Producer> => {
    const made = make();
    const wrapped: Promise<Producer> = made.then((p) => ({
      ...p,
      send: async (record) => {
        try {
          return await p.send(record);
        } catch (err) {
          retire(wrapped, err);
          throw err;
        }
      },
      sendBatch: async (batch) => {
        try {
          return await p.sendBatch(batch);
        } catch (err) {
          retire(wrapped, err);
          throw err;
        }
      },
    }));
    // A failed connect is tried again on the next call.
    wrapped.catch(() => {
      if (current === wrapped) current = undefined;
    });
    return wrapped;
  };

  return {
    /** The producer to send with now (connected on first use). */
    get(): Promise<Producer> {
      if (closed) return Promise.reject(new Error('the kafka producer is closed'));
      return (current ??= open());
    },
    /** How many producers a failed send has replaced (for tests and logs). */
    replaced: () => replaced,
    async close(): Promise<void> {
      closed = true;
      const last = current;
      current = undefined;
      if (last) await last.then((p) => p.disconnect()).catch(() => undefined);
    },
  };
}
