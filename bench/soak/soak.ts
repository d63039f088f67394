// One soak run: private servers, the roles as processes, the load, the faults; then the load
// stops, the system settles, and the invariants are checked. Returns everything the report needs.
import path from 'node:path';
import { loadConfig } from '../../platform/config';
import { newEphemeralEnv } from '../../platform/names';
import { ROOT } from '../../test/support/context';
import { ClientStats, createSoakClient } from './client';
import { faultSchedule, runFaults, type Fault, type FaultOutcome } from './faults';
import { createChecker, type Check } from './invariants';
import { createLoad, type Accepted, type LoadStats } from './load';
import type { SoakOptions } from './options';
import { seededRandom } from './random';
import { startSoakRoles } from './roles';
import { startSoakServers } from './servers';

export interface SoakResult {
  options: SoakOptions;
  env: string;
  schedule: Fault[];
  outcomes: FaultOutcome[];
  /** The steady load, then the wait for the operations still retrying when it stopped. */
  loadSeconds: number;
  drainSeconds: number;
  settleSeconds: number;
  http: ClientStats;
  load: LoadStats;
  accepted: Accepted;
  checks: Check[];
  /** What customers waited for their purchases (report lines; not an invariant). */
  purchaseTimings: string[];
  crashes: { role: string; at: number; how: string }[];
  ok: boolean;
}

export async function runSoak(options: SoakOptions, log: (line: string) => void = (l) => console.log(`[soak] ${l}`)): Promise<SoakResult> {
  const env = newEphemeralEnv('bench');
  const seconds = Math.round(options.minutes * 60);
  const random = seededRandom(options.seed);
  const schedule = faultSchedule(random, options.faults, seconds);
  log(
    `seed ${options.seed} (replay: SOAK_SEED=${options.seed}), ${options.minutes} min, ${schedule.length} faults, rates/s ${JSON.stringify(options.rates)}; environment ${env}`,
  );
  for (const f of schedule) log(`  planned t+${f.at}s ${f.action} ${f.target} ${f.hold}s${f.double ? ' (double)' : ''}`);

  // Interrupted while starting: exit, so that each server's exit hook kills it (a SIGINT's default
  // end runs no hook, and left them running orphaned).
  const interruptedWhileStarting = (signal: NodeJS.Signals) => {
    log(`${signal} while starting: stopping what was started`);
    process.exit(130);
  };
  process.once('SIGINT', interruptedWhileStarting).once('SIGTERM', interruptedWhileStarting);
  const servers = await startSoakServers(env, log);
  const roles = await startSoakRoles(servers.env, path.join(ROOT, '.data', 'soak', `${env}-logs`), log).catch(async (err: unknown) => {
    await servers.destroy();
    throw err;
  });
  // Interrupted (Ctrl-C, kill): its servers and roles go with it, instead of running on orphaned.
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the roles and the servers`);
    void roles
      .stop()
      .then(() => servers.destroy())
      .finally(() => process.exit(130));
  };
  process.off('SIGINT', interruptedWhileStarting).off('SIGTERM', interruptedWhileStarting);
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const config = loadConfig({ ...process.env, ...servers.env, MYSQL_DATABASE: undefined });
  const http = new ClientStats();
  const client = createSoakClient(roles.apiUrl, http);
  const checker = createChecker(config);
  try {
    // Each user under a fifth of the API's per-user limit (20 requests a second), so that the
    // retries after an outage still fit: 100 users at the default rates, more above them.
    const users = Math.max(100, Math.ceil(Object.values(options.rates).reduce((a, b) => a + b, 0) / 4));
    const load = await createLoad(client, config, random, { users });
    log(`load spread over ${users} users`);
    const start = Date.now();
    let stopped = false;
    load.start(options.rates);
    const faults = runFaults(schedule, [...servers.parts, ...roles.parts], start, log, () => stopped);
    const progress = setInterval(() => {
      const t = http.totals();
      log(
        `t+${((Date.now() - start) / 1000).toFixed(0)}s started ${JSON.stringify(load.stats.started)}; answers ${[...t].map(([s, n]) => `${s}:${n}`).join(' ')}`,
      );
    }, 30_000);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    log('load stopping: waiting for the operations in flight and their retries');
    const loadSeconds = (Date.now() - start) / 1000;
    const outcomes = await Promise.all([load.stop(), faults]).then(([, o]) => o);
    stopped = true;
    clearInterval(progress);
    const drainSeconds = (Date.now() - start) / 1000 - loadSeconds;

    // Settling: poll until every accepted item has ended (or the deadline passes).
    const settleStart = Date.now();
    let checks: Check[] = [];
    for (;;) {
      checks = await checker.settledChecks(load.accepted).catch((err: unknown) => [{ name: 'settle', ok: false, detail: String(err), examples: [] }]);
      const open = checks.filter((c) => !c.ok);
      if (open.length === 0 || Date.now() - settleStart > options.settleSeconds * 1000) break;
      log(
        `settling (${((Date.now() - settleStart) / 1000).toFixed(0)} s): waiting on ${open.map((c) => `${c.name.split(':')[0]} (${c.examples[0] ?? c.detail})`).join('; ')}`,
      );
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const settleSeconds = (Date.now() - settleStart) / 1000;
    checks.push(...(await checker.finalChecks(load.accepted, load.users, http)));
    const purchaseTimings = await checker.purchaseTimings(load.accepted).catch((err: unknown) => [`not measured: ${String(err)}`]);
    return {
      options,
      env,
      schedule,
      outcomes,
      loadSeconds,
      drainSeconds,
      settleSeconds,
      http,
      load: load.stats,
      accepted: load.accepted,
      checks,
      purchaseTimings,
      crashes: roles.crashes,
      ok: checks.every((c) => c.ok),
    };
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    client.close();
    await checker.close();
    await roles.stop();
    await servers.destroy();
  }
}
