// A throwaway MariaDB for tests that kill it: the same server and settings as scripts/infra/up.sh,
// on a port, socket and data directory of its own (under .data/), so `kill -9` hurts nobody else.
// Restarting it reuses the data directory: what was committed survives, as on a real crash.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, freePort } from './context';
import { isRunning, killHard, untilReady } from './child-process';

export interface TestMysqlServer {
  port: number;
  start(): Promise<void>;
  /** kill -9, and wait for the process to be gone. */
  kill(): Promise<void>;
  running(): boolean;
  /** The server's process id while it runs (for SIGSTOP/SIGCONT pauses). */
  pid(): number | undefined;
  /** Kills it (if running) and removes its data directory. */
  destroy(): Promise<void>;
}

const serverBinary = () => ['/usr/sbin/mariadbd', '/usr/bin/mariadbd'].find((p) => existsSync(p)) ?? 'mariadbd';

export async function testMysqlServer(name: string, app: { user: string; password: string }): Promise<TestMysqlServer> {
  const port = await freePort();
  const dir = path.join(ROOT, '.data', `${name}-${port}`);
  const datadir = path.join(dir, 'data');
  // A socket path must stay short (108 bytes): under the OS temporary folder, not the clone.
  const socket = path.join('/tmp', `tidings-${name}-${port}.sock`);
  mkdirSync(dir, { recursive: true });
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db'], {
    stdio: 'ignore',
  });

  let proc: ChildProcess | undefined;
  let userCreated = false;
  const reap = () => proc?.kill('SIGKILL');
  process.once('exit', reap);
  const ping = () => {
    try {
      execFileSync('mariadb-admin', [`--socket=${socket}`, '-u', 'root', 'ping'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const server: TestMysqlServer = {
    port,
    running: () => isRunning(proc),
    pid: () => (server.running() ? proc?.pid : undefined),
    async start() {
      proc = spawn(
        serverBinary(),
        [
          '--no-defaults',
          `--datadir=${datadir}`,
          '--user=root',
          '--bind-address=127.0.0.1',
          `--port=${port}`,
          `--socket=${socket}`,
          `--pid-file=${path.join(dir, 'mysqld.pid')}`,
          '--skip-name-resolve',
          '--character-set-server=utf8mb4',
          '--collation-server=utf8mb4_unicode_ci',
          '--innodb-buffer-pool-size=64M',
        ],
        { stdio: 'ignore' },
      );
      await untilReady(
        `test MariaDB on ${port}`,
        () => ping(),
        () => server.running(),
      );
      if (userCreated) return;
      const sql = ['127.0.0.1', 'localhost']
        .map(
          (host) =>
            `CREATE USER IF NOT EXISTS '${app.user}'@'${host}' IDENTIFIED BY '${app.password}'; GRANT ALL PRIVILEGES ON \`tidings%\`.* TO '${app.user}'@'${host}';`,
        )
        .join(' ');
      execFileSync('mariadb', [`--socket=${socket}`, '-u', 'root', '-e', `${sql} FLUSH PRIVILEGES;`], { stdio: 'ignore' });
      userCreated = true;
    },
    async kill() {
      await killHard(proc);
    },
    async destroy() {
      await server.kill();
      process.removeListener('exit', reap);
      rmSync(dir, { recursive: true, force: true });
      rmSync(socket, { force: true });
    },
  };
  return server;
}

/** Runs provision/cli.ts (with `args`, e.g. --teardown) for environment `env` against this server: the environment's database lives on it. */
export function provisionOn(server: Pick<TestMysqlServer, 'port'>, env: string, ...args: string[]): void {
  const e: NodeJS.ProcessEnv = { ...process.env, TIDINGS_ENV: env, MYSQL_PORT: String(server.port), LOG_LEVEL: 'warn' };
  delete e.MYSQL_DATABASE;
  execFileSync(process.execPath, ['--import', 'tsx', 'provision/cli.ts', ...args], { cwd: ROOT, env: e, stdio: 'inherit' });
}
