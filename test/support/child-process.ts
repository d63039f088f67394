// What the private servers of the kill tests and the soak (kafka-broker, mysql-server,
// redis-server, moto-server) do with their process: wait for it to answer, see whether it runs,
// kill it hard.
import type { ChildProcess } from 'node:child_process';

/** Started and not exited (nor killed by a signal). */
export const isRunning = (p: ChildProcess | undefined): p is ChildProcess => p !== undefined && p.exitCode === null && p.signalCode === null;

/** Polls `ready` every 100 ms for up to a minute; fails at once when the process has died. */
export async function untilReady(what: string, ready: () => boolean | Promise<boolean>, running: () => boolean): Promise<void> {
  for (let i = 0; !(await ready()); i++) {
    if (i > 600 || !running()) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** kill -9, resolved once the process has exited. */
export async function killHard(p: ChildProcess | undefined): Promise<void> {
  if (!isRunning(p)) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}
