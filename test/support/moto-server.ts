// A throwaway SNS/SQS server (moto) for tests and the soak that kill it: the same server as
// scripts/infra/up.sh, on a port of its own, so `kill -9` hurts nobody else. moto keeps everything
// in memory: a restart comes back empty, and the topics, queues and subscriptions must be
// provisioned again (what was in the queues at the kill is gone, as it would be with a region lost).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT, freePort } from './context';
import { isRunning, killHard, untilReady } from './child-process';

export interface TestMotoServer {
  port: number;
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT. */
  endpoint: string;
  start(): Promise<void>;
  /** kill -9, and wait for the process to be gone. */
  kill(): Promise<void>;
  running(): boolean;
  /** The server's process id while it runs (for SIGSTOP/SIGCONT pauses). */
  pid(): number | undefined;
  destroy(): Promise<void>;
}

// The launcher scripts/infra/up.sh starts too (moto without its per-request module scan and access log).
const PYTHON = path.join(ROOT, '.infra/venv/bin/python');
const MOTO_LAUNCHER = path.join(ROOT, 'scripts/infra/moto/serve.py');

/**
 * `command`: another way to start moto (a probe compares `moto_server` as shipped), the launcher by
 * default; `env`: variables added to the server's environment (the launcher's MOTO_KEEP_ALIVE, say).
 */
export async function testMotoServer({
  command = [PYTHON, MOTO_LAUNCHER],
  env = {},
}: { command?: string[]; env?: Record<string, string> } = {}): Promise<TestMotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  const reap = () => proc?.kill('SIGKILL');
  process.once('exit', reap);
  const ready = async () => {
    try {
      return (await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) })).ok;
    } catch {
      return false;
    }
  };
  const server: TestMotoServer = {
    port,
    endpoint,
    running: () => isRunning(proc),
    pid: () => (server.running() ? proc?.pid : undefined),
    async start() {
      proc = spawn(command[0]!, [...command.slice(1), '-H', '127.0.0.1', '-p', String(port)], {
        stdio: 'ignore',
        env: { ...process.env, ...env },
      });
      await untilReady(
        `test moto server on ${port}`,
        () => ready(),
        () => server.running(),
      );
    },
    async kill() {
      await killHard(proc);
    },
    async destroy() {
      await server.kill();
      process.removeListener('exit', reap);
    },
  };
  return server;
}
