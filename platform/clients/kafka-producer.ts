import type { Producer } from 'kafkajs';
import type { Logger } from '../logger';

/** Errors after which an idempotent producer never sends again (its sequence state is broken). */
const FATAL_TYPES = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** Whether the error, or one it wraps (kafkajs wraps retried errors), is fatal to the producer. */
export function isFatalToProducer(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (FATAL_TYPES.has(String((e as { type?: unknown }).type))) return true;
  }
  return false;
}

/**
 * The process's Kafka producer, replaced by a fresh one after a send fails with an error that
 * leaves an idempotent producer unusable.
 *
 * Why: an idempotent kafkajs producer does not recover from a broker restart. Its sequence numbers
 * drift from the broker's (a send abandoned mid-flight, or producer state the broker lost), and
 * every later send fails with "The broker received an out of order sequence number" for as long
 * as the process lives (tulios/kafkajs#598). A new producer gets a new producer id and starts its
 * sequences at zero. Every caller already retries a failed send (outbox relays, consumers that
 * commit after producing), so the retry simply goes out on the new producer; downstream is
 * idempotent, so a batch the old producer did write and the new one writes again is harmless.
 * Other failures (a timeout, the broker briefly away) leave the producer in place: kafkajs
 * recovers from those, and replacing it under load would fail every send queued on it.
 */
export function createRecoveringProducer(make: () => Promise<Producer>, log: Logger) {
  let current: Promise<Producer> | undefined;
  let replaced = 0;
  let closed = false;

  const retire = (failed: Promise<Producer>, err: unknown) => {
    if (!isFatalToProducer(err)) return;
    if (current !== failed) return; // another failed send already replaced it
    current = undefined;
    replaced++;
    log.warn({ err, replaced }, 'kafka producer out of sequence with the broker; the next send uses a new producer');
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
