import { withTimeout } from './errors';
import type { Logger } from './logger';

type Closer = { name: string; close: () => Promise<unknown> | unknown };

/**
 * Collects what must be closed on shutdown and closes it in reverse order of registration
 * (servers stop accepting before the clients they use go away), each bounded by a timeout so one
 * stuck dependency cannot hold the process forever.
 */
export class Lifecycle {
  private readonly closers: Closer[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Registers something to close; returns it for chaining at the creation site. */
  add<T>(name: string, resource: T, close: (r: T) => Promise<unknown> | unknown): T {
    this.closers.push({ name, close: () => close(resource) });
    return resource;
  }

  /** Closes everything once; later calls await the same shutdown. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    for (const closer of [...this.closers].reverse()) {
      try {
        await withTimeout(`closing ${closer.name}`, this.timeoutMs, Promise.resolve().then(closer.close));
        this.log.debug({ resource: closer.name }, 'closed');
      } catch (err) {
        this.log.warn({ resource: closer.name, err }, 'close failed');
      }
    }
  }

  /** Closes on SIGINT/SIGTERM, then exits; a second signal exits at once. */
  onSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        this.log.warn({ signal }, 'second signal, exiting now');
        exit(1);
        return;
      }
      received = true;
      this.log.info({ signal }, 'shutting down');
      this.close().then(
        () => exit(0),
        (err: unknown) => {
          this.log.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
}
