import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Pretty, coloured lines when a person watches a terminal in development (`npm start`); JSON
 * everywhere else (files, CI, containers, production), where a machine reads them. LOG_PRETTY decides
 * when it is set.
 */
export const prettyLogs = (config: { NODE_ENV: string; LOG_PRETTY?: boolean }, tty = Boolean(process.stdout.isTTY)): boolean =>
  config.LOG_PRETTY ?? (tty && config.NODE_ENV === 'development');

/** A structured logger; children carry a `component` field. */
export function createLogger(level: string, base: Record<string, unknown> = {}, { pretty = false } = {}): Logger {
  const options = { level, base: { pid: process.pid, ...base } };
  if (!pretty) return pino(options);
  return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid' } } });
}
