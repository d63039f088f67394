// Ledger benchmark: concurrent merchants posting entries for one day through the real API (outbox)
// with the relay consolidating, then the same load against a naive read-modify-write balance.
// Reports accepted entries/s, request p50/p99, consolidation lag, lost updates.
// Run with `npm run bench:ledger`. Writes docs/benchmarks.md.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { signToken } from '../../platform/auth/jwt';
import { createMysqlPool } from '../../platform/clients/mysql';
import { loadConfig } from '../../platform/config';
import { createContext } from '../../runtime/context';
import { createLogger } from '../../platform/logger';
import { cpuDelta, cpuSnapshot, formatShares, type CpuSnapshot } from '../lib/cpu';
import { RawHttpConnection } from '../lib/raw-http';
import { machine, percentile, writeSection } from '../lib/report';
import { emptyWorkflowCeiling, workflowTasks } from '../lib/temporal-cost';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
// 48: enough for both servers to run near a core. With the raw-socket load generator, 16 clients left
// both waiting on their round trips (0.97-1.00x at p99 15-18 ms), which measures latency, not capacity.
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 48);
const MERCHANTS = Number(process.env.BENCH_MERCHANTS ?? 8);
// Rounds of one window each way, alternating which path goes first: the machine's speed drifts
// by ±15 % over minutes here, and a drift then weighs on both paths alike instead of on one run.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Before the rounds, each path is loaded this long, not counted: a server's first seconds under load
// run its code unoptimised (the naive server's first window was its slowest in every run).
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const PORTS = { tidings: 4301, naive: 4302 } as const;
// BENCH_CPU_PROF=<dir>: the api, worker and naive server write V8 CPU profiles there on exit
// (open them in Chrome DevTools); how docs/ledger-hot-path.md was measured.
const PROFILE = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
const config = loadConfig();
const mysql = createMysqlPool(config);
const day = new Date().toISOString().slice(0, 10);
const log = (m: string) => process.stdout.write(`[bench:ledger] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const env = {
  ...process.env,
  LOG_LEVEL: 'warn',
  TIDINGS_ROLES: 'api',
  TEMPORAL_TASK_QUEUE: `bench-ledger-${Date.now()}`,
  SELF_CHECK_ON_START: 'false',
  // Fresh consumer groups at the end of each topic: earlier runs' records are not replayed.
  KAFKA_GROUP_PREFIX: `bench-${Date.now()}`,
  KAFKA_NEW_GROUP_FROM: 'latest',
  API_RATE_LIMIT_PER_USER: '100000000',
  API_RATE_LIMIT_PER_IP: '100000000',
  LEDGER_RELAY_BATCH: '500',
};

type Path = 'tidings' | 'naive';
const children: ChildProcess[] = [];
function spawnTidings(roles: string, port: number): ChildProcess {
  const child = spawn(process.execPath, [...PROFILE, '--import', 'tsx', 'main.ts'], {
    cwd: ROOT,
    env: { ...env, TIDINGS_ROLES: roles, API_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function answering(which: Path): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(`http://127.0.0.1:${PORTS[which]}/ledger/entries`, { method: 'POST' });
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`${which} server never answered`);
}

/** Both designs up side by side: Tidings as deployed (api and worker processes), the naive server. */
async function startBoth(): Promise<void> {
  spawnTidings('worker', 0);
  spawnTidings('api', PORTS.tidings);
  children.push(
    fork(path.join(ROOT, 'bench/ledger/naive-server.ts'), [], {
      cwd: ROOT,
      env: { ...env, API_PORT: String(PORTS.naive) },
      execArgv: [...PROFILE, '--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  await Promise.all([answering('tidings'), answering('naive')]);
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    }),
  );
}

interface Totals {
  latencies: number[];
  failed: number;
  seconds: number;
  expected: Map<string, number>;
  perRound: number[];
  cpu: CpuSnapshot;
}
const totals = (merchants: string[]): Totals => ({
  latencies: [],
  failed: 0,
  seconds: 0,
  expected: new Map(merchants.map((m) => [m, 0])),
  perRound: [],
  cpu: new Map(),
});

/**
 * One window of closed-loop clients posting credits of 1.00..9.99 round-robin over the merchants.
 * An unmeasured (warm-up) window still counts what it posted into the totals the balances are
 * checked against; only its rate, latencies and CPU are left out.
 */
async function window(which: Path, merchants: string[], tokens: string[], into: Totals, seconds = SECONDS, measured = true): Promise<number> {
  let accepted = 0;
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpuBefore = cpuSnapshot();
  const headers = tokens.map((t) => `authorization: Bearer ${t}\r\ncontent-type: application/json\r\n`);
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      // One keep-alive connection per client and window: between windows a server closes it as idle.
      const conn = new RawHttpConnection('127.0.0.1', PORTS[which]);
      try {
        while (performance.now() < until) {
          const i = n++;
          const m = i % merchants.length;
          const cents = 100 + (i % 900);
          const t = performance.now();
          const res = await conn.request(
            'POST',
            '/ledger/entries',
            headers[m]!,
            JSON.stringify({
              type: 'credit',
              amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
              currency: 'BRL',
              description: `bench ${i}`,
              occurredAt: day,
            }),
          );
          if (res.status === 201) {
            if (measured) into.latencies.push(performance.now() - t);
            into.expected.set(merchants[m]!, into.expected.get(merchants[m]!)! + cents);
            accepted++;
          } else into.failed++;
        }
      } finally {
        conn.close();
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (!measured) return accepted / elapsed;
  for (const [group, used] of cpuDelta(cpuBefore, cpuSnapshot())) into.cpu.set(group, (into.cpu.get(group) ?? 0) + used);
  into.seconds += elapsed;
  into.perRound.push(accepted / elapsed);
  return accepted / elapsed;
}

const stamp = Date.now();
log(`environment ${config.TIDINGS_ENV}; measuring the dev server's empty-workflow ceiling`);
const ctx = createContext(config, createLogger('warn'));
const client = await ctx.temporal();
const ceiling = await emptyWorkflowCeiling(client, config);
log(`ceiling: ${ceiling.perSecond.toFixed(0)} empty workflows/s`);

const merchantsOf = (which: Path) => Array.from({ length: MERCHANTS }, (_, i) => `bench-${which}-${stamp}-${i}`);
const merchants = { tidings: merchantsOf('tidings'), naive: merchantsOf('naive') };
const tokens = {
  tidings: await Promise.all(merchants.tidings.map((m) => signToken(config, m, { ttlSeconds: 3600 }))),
  naive: await Promise.all(merchants.naive.map((m) => signToken(config, m, { ttlSeconds: 3600 }))),
};
const results = { tidings: totals(merchants.tidings), naive: totals(merchants.naive) };

log('starting Tidings (api and worker) and the naive server');
await startBoth();
// Warm-up: one entry posted and applied, so the measured load starts with the relay running; one
// naive post, so both have their connections open.
{
  const warm = `bench-ledger-warm-${stamp}`;
  const post = (which: Path) =>
    fetch(`http://127.0.0.1:${PORTS[which]}/ledger/entries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[which][0]!}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'credit', amount: '1.00', currency: 'BRL', description: 'warm-up', occurredAt: day }),
    });
  const res = await post('tidings');
  const { entryId } = (await res.json()) as { entryId: string };
  results.tidings.expected.set(merchants.tidings[0]!, 100);
  await (await post('naive')).arrayBuffer();
  results.naive.expected.set(merchants.naive[0]!, 100);
  for (let i = 0; ; i++) {
    const [rows] = await mysql.query<RowDataPacket[]>('SELECT 1 FROM ledger_outbox WHERE entry_id = ? AND applied_at IS NOT NULL', [entryId]);
    if (rows.length) break;
    if (i > 600) throw new Error('the relay never applied the warm-up entry');
    await sleep(100);
  }
}

if (WARMUP_SECONDS > 0) {
  log(`warming up: ${WARMUP_SECONDS} s of load on each path, not counted`);
  for (const which of ['tidings', 'naive'] as const) await window(which, merchants[which], tokens[which], results[which], WARMUP_SECONDS, false);
}
for (let round = 1; round <= ROUNDS; round++) {
  const order: Path[] = round % 2 === 1 ? ['tidings', 'naive'] : ['naive', 'tidings'];
  const rates: Partial<Record<Path, number>> = {};
  for (const which of order) rates[which] = await window(which, merchants[which], tokens[which], results[which]);
  log(
    `round ${round}/${ROUNDS} (${order.join(' then ')}): tidings ${rates.tidings!.toFixed(0)}/s, naive ${rates.naive!.toFixed(0)}/s (${(rates.tidings! / rates.naive!).toFixed(2)}×)`,
  );
}

log('waiting for consolidation');
const drainStarted = Date.now();
for (;;) {
  const [rows] = await mysql.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM ledger_entries e JOIN ledger_outbox o USING (entry_id) WHERE e.merchant_id IN (?) AND o.applied_at IS NULL',
    [merchants.tidings],
  );
  if (Number(rows[0]!.n) === 0 || Date.now() - drainStarted > 120_000) break;
  await sleep(250);
}
await stopAll();
const [lagRows] = await mysql.query<RowDataPacket[]>(
  'SELECT TIMESTAMPDIFF(MICROSECOND, e.created_at, o.applied_at) / 1000 AS lag FROM ledger_entries e JOIN ledger_outbox o USING (entry_id) WHERE e.merchant_id IN (?) AND o.applied_at IS NOT NULL',
  [merchants.tidings],
);
const lags = lagRows.map((r) => Number(r.lag)).sort((a, b) => a - b);
const [balRows] = await mysql.query<RowDataPacket[]>('SELECT merchant_id, credits_cents FROM daily_balances WHERE merchant_id IN (?) AND day = ?', [
  merchants.tidings,
  day,
]);
const tidingsLost = merchants.tidings.reduce(
  (lost, m) => lost + (results.tidings.expected.get(m)! - Number(balRows.find((r) => r.merchant_id === m)?.credits_cents ?? 0)),
  0,
);
const [naiveRows] = await mysql.query<RowDataPacket[]>('SELECT merchant_id, balance_cents FROM bench_naive_balances WHERE merchant_id IN (?) AND day = ?', [
  merchants.naive,
  day,
]);
const naiveLostCents = merchants.naive.reduce(
  (lost, m) => lost + (results.naive.expected.get(m)! - Number(naiveRows.find((r) => r.merchant_id === m)?.balance_cents ?? 0)),
  0,
);
// Each lost update drops one entry's amount; 5.49 is the mean entry, so this is an estimate of how many.
const naiveLostEntries = Math.round(naiveLostCents / 549.5);
const relayCost = await workflowTasks(client, `${config.TIDINGS_ENV}.outbox-relay-`);
const closeCost = await workflowTasks(client, `${config.TIDINGS_ENV}.balance-`);
const cost = { tasks: relayCost.tasks + closeCost.tasks, workflows: relayCost.workflows + closeCost.workflows };
await ctx.lifecycle.close();
await mysql.end();

const summary = (t: Totals) => {
  const sorted = [...t.latencies].sort((a, b) => a - b);
  const cpu = [...t.cpu].map(([group, used]): [string, number] => [group, used / t.seconds]).sort((a, b) => b[1] - a[1]);
  return { accepted: sorted.length, perSecond: sorted.length / t.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), cpu };
};
const tidings = summary(results.tidings);
const naive = summary(results.naive);
const roundRatios = results.tidings.perRound.map((r, i) => r / results.naive.perRound[i]!);
const medianRatio = [...roundRatios].sort((a, b) => a - b)[Math.floor(roundRatios.length / 2)]!;
const tasksPerEntry = cost.tasks / Math.max(1, tidings.accepted);
log(`tidings: ${tidings.perSecond.toFixed(0)} entries/s, p50 ${tidings.p50.toFixed(1)} ms, p99 ${tidings.p99.toFixed(1)} ms, 0 lost: ${tidingsLost === 0}`);
log(`tidings: CPU during its windows (share of one core): ${formatShares(tidings.cpu)}`);
log(`naive: ${naive.perSecond.toFixed(0)} entries/s, p99 ${naive.p99.toFixed(1)} ms, ~${naiveLostEntries} updates lost`);
log(`naive: CPU during its windows (share of one core): ${formatShares(naive.cpu)}`);
log(`ratio per round: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}; median ${medianRatio.toFixed(2)}×`);
log(`Temporal: ${cost.tasks} workflow tasks (${cost.workflows} workflows: relay and day closes) = ${tasksPerEntry.toFixed(4)} per entry`);

const lagP50 = percentile(lags, 50);
const lagP99 = percentile(lags, 99);
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
writeSection(
  'ledger',
  `## Ledger: entries accepted, consolidation lag, lost updates

- **Date:** ${new Date().toISOString()}
- **Machine:** ${machine()}
- **Command:** \`BENCH_CLIENTS=${CLIENTS} BENCH_MERCHANTS=${MERCHANTS} BENCH_ROUNDS=${ROUNDS} BENCH_SECONDS=${SECONDS} npm run bench:ledger\`
- **Load:** ${CLIENTS} closed-loop HTTP clients posting credits (1.00–9.99) round-robin over ${MERCHANTS} merchants, all on one day, with JWT, each on a raw keep-alive socket (\`bench/lib/raw-http.ts\`; the global fetch cost 0.28 ms of CPU per request, a quarter of an entry's), after ${WARMUP_SECONDS} s of load on each path that is not counted, in ${ROUNDS} rounds of one ${SECONDS} s window per path, the order alternating each round (both designs run side by side, each on its own port; the machine's speed drifts by ±15 % over minutes, and interleaving puts a drift on both paths alike). Tidings: \`main.ts\` as two processes, role api (posts joined into group commits: one multi-row INSERT per burst, the outbox rows written by the trigger) and role worker (outbox relay, batch 500, one activity draining for up to ${config.LEDGER_RELAY_DRAIN_MS / 1000} s polling every ${config.LEDGER_RELAY_POLL_MS} ms while posts arrive, woken by posts at most every ${config.LEDGER_WAKE_INTERVAL_MS} ms, ${config.LEDGER_RELAY_IDLE_MS / 1000} s backstop tick) on the Temporal dev server and MariaDB ${'10.11'}. Naive: mounted on the same API edge (request id, access log, rate limits in Redis, JWT) with the same body validation, \`SELECT balance\` then \`UPDATE balance = read + amount\` with no lock.

| | Tidings (outbox + relay) | naive read-modify-write |
|---|---|---|
| entries accepted | ${tidings.accepted} (${results.tidings.failed} failed) | ${naive.accepted} (${results.naive.failed} failed) |
| accepted entries/s (all windows) | ${tidings.perSecond.toFixed(0)} | ${naive.perSecond.toFixed(0)} |
| accepted entries/s per round | ${results.tidings.perRound.map((r) => r.toFixed(0)).join(', ')} | ${results.naive.perRound.map((r) => r.toFixed(0)).join(', ')} |
| request p50 / p99 (all windows) | ${tidings.p50.toFixed(1)} / ${tidings.p99.toFixed(1)} ms | ${naive.p50.toFixed(1)} / ${naive.p99.toFixed(1)} ms |
| consolidation lag p50 / p99 (post → applied) | ${lagP50.toFixed(0)} / ${lagP99.toFixed(0)} ms | — (inline) |
| Temporal workflow tasks per entry (from the server) | ${tasksPerEntry.toFixed(4)} (${cost.tasks} tasks) | — |
| dev server ceiling (empty workflows/s) | ${ceiling.perSecond.toFixed(0)} | |
| CPU during its windows (share of one core, from /proc) | ${formatShares(tidings.cpu)} | ${formatShares(naive.cpu)} |
| lost updates | ${tidingsLost === 0 ? '0' : `${tidingsLost} cents missing`} | ${naiveLostCents === 0 ? '0' : `≈ ${naiveLostEntries} entries (${(naiveLostCents / 100).toFixed(2)} missing)`} |

**Against the targets**
- accepted entries/s ≥ 1.5× naive (issue #35; three runs in a row): ${tidings.perSecond.toFixed(0)} vs ${naive.perSecond.toFixed(0)} over all windows (${(tidings.perSecond / naive.perSecond).toFixed(2)}×); per round ${roundRatios.map((r) => `${r.toFixed(2)}×`).join(', ')}, median ${medianRatio.toFixed(2)}× — ${verdict(tidings.perSecond >= 1.5 * naive.perSecond)} in this run
- request p99 < 50 ms: ${tidings.p99.toFixed(1)} ms — ${verdict(tidings.p99 < 50)}
- consolidation lag p99 < 1 s: ${lagP99.toFixed(0)} ms — ${verdict(lagP99 < 1000)}
- zero lost updates (balance = sum of entries): ${verdict(tidingsLost === 0)}

**Single runs before the interleaving** (one 20 s window per path, Tidings first): 0.98×, 1.03×, 0.72× on 2026-12-04; 1.04×, 1.27×, 0.90× in three runs in a row on 2026-12-04 after the relay's per-drain day lookup; 800 against 1033 (0.77×) before the drain (2026-11-25). Where the time went and what changed: [ledger-hot-path.md](ledger-hot-path.md).

The load generator, API, relay, Temporal dev server and MariaDB share the two cores.`,
);
log('results written to docs/benchmarks.md');
process.exit(0);
