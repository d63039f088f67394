import { pino, type Logger } from 'pino';

export type { Logger };

/** The process-wide structured logger; children carry a `component` field. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...base } });
}
