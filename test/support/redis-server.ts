// A throwaway Redis for tests and the soak that kill it: the same server as scripts/infra/up.sh, on
// a port and directory of its own (under .data/), so `kill -9` hurts nobody else. Unlike the shared
// one it keeps an append-only file (fsync every second), as a Redis holding the gateway's channel
// history would in production: a restart keeps what was written more than a second before the kill.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, freePort } from './context';
import { isRunning, killHard, untilReady } from './child-process';

export interface TestRedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>`, for REDIS_URL. */
  url: string;
  start(): Promise<void>;
  /** kill -9, and wait for the process to be gone. */
  kill(): Promise<void>;
  running(): boolean;
  /** The server's process id while it runs (for SIGSTOP/SIGCONT pauses). */
  pid(): number | undefined;
  /** Kills it (if running) and removes its directory. */
  destroy(): Promise<void>;
}

export async function testRedisServer(name: string): Promise<TestRedisServer> {
  const port = await freePort();
  const dir = path.join(ROOT, '.data', `${name}-${port}`);
  mkdirSync(dir, { recursive: true });
  let proc: ChildProcess | undefined;
  const reap = () => proc?.kill('SIGKILL');
  process.once('exit', reap);
  const ping = () => {
    try {
      return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes(
        'PONG',
      );
    } catch {
      return false;
    }
  };
  const server: TestRedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => isRunning(proc),
    pid: () => (server.running() ? proc?.pid : undefined),
    async start() {
      proc = spawn(
        'redis-server',
        ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no'],
        { stdio: 'ignore' },
      );
      // Loading the append-only file is part of starting: PING answers LOADING until it is done.
      await untilReady(
        `test Redis on ${port}`,
        () => ping(),
        () => server.running(),
      );
    },
    async kill() {
      await killHard(proc);
    },
    async destroy() {
      await server.kill();
      process.removeListener('exit', reap);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
