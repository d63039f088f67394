import type { Logger } from './logger';

/**
 * The API's own dispatch of what it just committed to an outbox: ids kicked while a dispatch is
 * under way go together in the next one (a burst costs a few broker requests, not one each). A
 * failure leaves the rows to the outbox relay and is logged once per outage.
 */
export function createCoalescingDispatcher(opts: { what: string; batch: number; log: Logger; dispatch: (ids: string[]) => Promise<unknown> }) {
  let queued: string[] = [];
  let running: Promise<void> | undefined;
  let failing = false;
  const loop = async () => {
    while (queued.length > 0) {
      const ids = queued.splice(0, opts.batch);
      try {
        await opts.dispatch(ids);
        if (failing) opts.log.info(`${opts.what} dispatch works again`);
        failing = false;
      } catch (err) {
        if (!failing) opts.log.warn({ err, count: ids.length }, `${opts.what} dispatch failed; the outbox relay will send them`);
        failing = true;
      }
    }
    running = undefined;
  };
  return {
    /** Dispatch this committed id soon. */
    kick(id: string): void {
      queued.push(id);
      running ??= loop();
    },
    /** Resolves once what was kicked has been tried (for shutdown and tests). */
    async drain(): Promise<void> {
      while (running) await running;
    },
    /** Forget what is queued (shutdown: the relay sends it). */
    stop(): void {
      queued = [];
    },
  };
}

export type CoalescingDispatcher = ReturnType<typeof createCoalescingDispatcher>;
