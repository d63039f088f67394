// The parts a fault can hit: the five private servers and the app's roles, each with the same
// handle (kill -9, start again, and for servers a SIGSTOP/SIGCONT pause).

export const SERVERS = ['kafka', 'mysql', 'redis', 'temporal', 'moto'] as const;
export const ROLES = ['api', 'worker', 'consumers', 'gateway', 'simulators'] as const;
export type PartName = (typeof SERVERS)[number] | (typeof ROLES)[number];

export interface Part {
  name: PartName;
  kind: 'server' | 'role';
  /** kill -9; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again; resolves once it answers (throws if it cannot). */
  start(): Promise<void>;
  /** Its process id while it runs (a pause is SIGSTOP, then SIGCONT, of this process). */
  pid(): number | undefined;
}
