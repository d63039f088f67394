// The app's roles as separate processes (main.ts with TIDINGS_ROLES=<role>), as a deployment runs
// them, pointed at the soak's servers. A supervisor starts again a role that exits on its own (as
// systemd or Kubernetes would) and counts it: a role that dies without being killed is a finding.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { ROOT, freePort } from '../../test/support/context';
import { ROLES, type Part } from './parts';

export interface SoakRoles {
  apiUrl: string;
  gatewayUrl: string;
  parts: Part[];
  /** Exits nobody asked for, per role, with the exit code or signal. */
  crashes: { role: string; at: number; how: string }[];
  /** Stops every role (SIGTERM, then SIGKILL after a grace). */
  stop(): Promise<void>;
}

/** Variables of the soak's processes: short deadlines, so that every item ends within the settle. */
export const SOAK_APP_ENV: Record<string, string> = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  LOG_PRETTY: 'false',
  TRACING: 'false',
  SELF_CHECK_ON_START: 'false',
  MYSQL_POOL_SIZE: '10',
  UNAVAILABLE_RETRY_AFTER_SECONDS: '2',
  FULFILLMENT_DELAY_MS: '600',
  PURCHASE_RESULT_TIMEOUT_MS: '90000',
  EVENT_CONFIRM_TIMEOUT_MS: '120000',
  MESSAGE_DELIVER_DEADLINE_MS: '60000',
  // A day of the soak's past closes this long after the entry that opens it (a consolidation in the run).
  LEDGER_CLOSE_GRACE_MS: '20000',
  // The whole history of a channel stays for the duplicate check at the end.
  GATEWAY_STREAM_MAXLEN: '1000000',
  SQS_WAIT_SECONDS: '2',
  // The whole load comes from one address (the load generator on loopback), where a deployment
  // sees its clients' many: the per-address limit (6,000 a minute by default) would cap the soak at
  // 100 requests a second. The per-user limit stays, and the load spreads over enough users for it.
  API_RATE_LIMIT_PER_IP: '10000000',
};

export async function startSoakRoles(serverEnv: Record<string, string>, logDir: string, log: (line: string) => void): Promise<SoakRoles> {
  const [apiPort, gatewayPort] = [await freePort(), await freePort()];
  mkdirSync(logDir, { recursive: true });
  const { MYSQL_DATABASE: _named, TEMPORAL_TASK_QUEUE: _queue, ...inherited } = process.env;
  const env = { ...inherited, ...SOAK_APP_ENV, ...serverEnv, API_PORT: String(apiPort), GATEWAY_PORT: String(gatewayPort), HOST: '127.0.0.1' };
  const crashes: SoakRoles['crashes'] = [];
  let stopping = false;

  const parts = ROLES.map((role): Part & { stop(): Promise<void> } => {
    let proc: ChildProcess | undefined;
    let out: WriteStream | undefined;
    let held = false; // killed by a fault: the fault starts it again, not the supervisor
    const alive = () => proc !== undefined && proc.exitCode === null && proc.signalCode === null;
    // The soak process ending without stop() (interrupted while starting, a crash) takes its roles with it.
    process.once('exit', () => {
      if (alive()) proc?.kill('SIGKILL');
    });
    const spawnOnce = () =>
      new Promise<void>((resolve, reject) => {
        out ??= createWriteStream(path.join(logDir, `${role}.log`), { flags: 'a' });
        const p = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
          cwd: ROOT,
          env: { ...env, TIDINGS_ROLES: role },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        proc = p;
        let up = false;
        p.stdout.on('data', (chunk: Buffer) => {
          out?.write(chunk);
          if (!up && chunk.toString().includes('Tidings is up')) {
            up = true;
            resolve();
          }
        });
        p.stderr.on('data', (chunk: Buffer) => out?.write(chunk));
        p.once('exit', (code, signal) => {
          // A start that fails is retried by start() itself; only a role that was up can crash.
          if (!up) return reject(new Error(`${role} exited during start-up (${signal ?? code}); see ${path.join(logDir, `${role}.log`)}`));
          if (stopping || held) return;
          crashes.push({ role, at: Date.now(), how: String(signal ?? code) });
          log(`role ${role} exited by itself (${signal ?? code}); starting it again`);
          void start().catch((err: unknown) => log(`role ${role} did not start again: ${(err as Error).message}`));
        });
      });
    // A role that cannot start (a server it needs is down) exits; it is started again until it is
    // up, backing off (each start costs a process and its TypeScript load), for up to 5 minutes.
    const start = async () => {
      held = false;
      const deadline = Date.now() + 300_000;
      for (let attempt = 1; ; attempt++) {
        try {
          await spawnOnce();
          return;
        } catch (err) {
          if (stopping) return;
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, Math.min(5_000, 500 * 2 ** attempt)));
        }
      }
    };
    return {
      name: role,
      kind: 'role',
      pid: () => (alive() ? proc?.pid : undefined),
      start,
      async kill() {
        held = true;
        const p = proc;
        if (!p || !alive()) return;
        await new Promise<void>((resolve) => {
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        });
      },
      async stop() {
        const p = proc;
        if (p && alive()) {
          await new Promise<void>((resolve) => {
            const force = setTimeout(() => p.kill('SIGKILL'), 15_000);
            p.once('exit', () => (clearTimeout(force), resolve()));
            p.kill('SIGTERM');
          });
        }
        out?.end();
      },
    };
  });
  const started = Date.now();
  await Promise.all(parts.map((p) => p.start()));
  log(`roles up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${ROLES.join(', ')} (API :${apiPort}, gateway :${gatewayPort}); logs in ${logDir}`);
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    gatewayUrl: `ws://127.0.0.1:${gatewayPort}/ws`,
    parts,
    crashes,
    async stop() {
      stopping = true;
      await Promise.all(parts.map((p) => p.stop()));
    },
  };
}
