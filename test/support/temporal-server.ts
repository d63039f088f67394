// A throwaway Temporal dev server for tests that kill it: the same CLI as scripts/infra/up.sh, on
// ports and a SQLite file of its own (under .data/), so `kill -9` hurts nobody else. Restarting it
// reuses the file: what the server had committed survives, as on a real crash.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../../provision/temporal';
import { ROOT, freePort } from './context';

export interface TestTemporalServer {
  address: string;
  start(): Promise<void>;
  /** kill -9, and wait for the process to be gone. */
  kill(): Promise<void>;
  /** The server's process id while it runs (for SIGSTOP/SIGCONT pauses). */
  pid(): number | undefined;
  /** Kills it (if running) and removes its data. */
  destroy(): Promise<void>;
}

const CLI = process.env.TEMPORAL_CLI_PATH ?? path.join(ROOT, '.infra/venv/bin/temporal');

export async function testTemporalServer(name: string): Promise<TestTemporalServer> {
  const port = await freePort();
  const dir = path.join(ROOT, '.data', `${name}-temporal-${port}`);
  mkdirSync(dir, { recursive: true });
  const address = `127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  const reap = () => proc?.kill('SIGKILL');
  process.once('exit', reap);

  const waitUntilServing = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.getSystemInfo({});
          await ensureSearchAttributes(connection, 'default');
          return;
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`test Temporal server on ${address} did not start: ${(err as Error).message}`);
        if (proc?.exitCode !== null) throw new Error(`test Temporal server on ${address} exited with ${String(proc?.exitCode)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };

  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };
  return {
    address,
    kill,
    pid: () => (proc && proc.exitCode === null && proc.signalCode === null ? proc.pid : undefined),
    async start() {
      proc = spawn(
        CLI,
        [
          'server',
          'start-dev',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--headless',
          '--db-filename',
          path.join(dir, 'temporal.sqlite'),
          '--log-level',
          'error',
          '--sqlite-pragma',
          'journal_mode=wal',
          '--sqlite-pragma',
          'synchronous=normal',
        ],
        { stdio: 'ignore' },
      );
      await waitUntilServing();
    },
    async destroy() {
      await kill();
      process.off('exit', reap);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
