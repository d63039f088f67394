// Purchase benchmark: closed-loop clients at rising concurrency, each POSTing a purchase and
// waiting for COMPLETED on its WebSocket. The Temporal path (the whole system, `main.ts`, in its own
// process) against the direct SNS → SQS → worker → WebSocket path of the seed, same run, same servers.
// Run with `npm run bench:purchases`. Writes docs/benchmarks.md.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { WebSocket } from 'ws';
import { signToken } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';
import { machine, percentile, writeSection } from '../lib/report';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '1,8,32,64').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const API_PORT = 4201;
const GATEWAY_PORT = 4202;
const config = loadConfig();
const log = (m: string) => process.stdout.write(`[bench:purchases] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Path = 'temporal' | 'direct';
interface Level {
  concurrency: number;
  completed: number;
  failed: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const childEnv = {
  ...process.env,
  LOG_LEVEL: 'warn',
  API_PORT: String(API_PORT),
  GATEWAY_PORT: String(GATEWAY_PORT),
  TEMPORAL_TASK_QUEUE: `bench-purchases-${Date.now()}`,
  SELF_CHECK_ON_START: 'false',
  // Fresh consumer groups at the end of each topic: earlier runs' records are not replayed.
  KAFKA_GROUP_PREFIX: `bench-${Date.now()}`,
  KAFKA_NEW_GROUP_FROM: 'latest',
  API_RATE_LIMIT_PER_USER: '1000000',
  API_RATE_LIMIT_PER_IP: '1000000',
  SQS_WAIT_SECONDS: '1',
  SQS_POLLERS: '4',
};

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`${url} never answered`);
}

async function startSystem(which: Path): Promise<ChildProcess> {
  if (which === 'temporal') {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForHttp(`http://127.0.0.1:${API_PORT}/health`);
    return child;
  }
  const child = fork(path.join(ROOT, 'bench/purchases/direct-server.ts'), [], {
    cwd: ROOT,
    env: childEnv,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`direct server exited ${String(code)}`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

/** One virtual customer: a WebSocket on its user channel and a loop of purchases. */
async function customer(which: Path, id: string) {
  const token = await signToken(config, id, { ttlSeconds: 3600 });
  const ws = new WebSocket(`ws://127.0.0.1:${GATEWAY_PORT}/ws`, { headers: { authorization: `Bearer ${token}` } });
  const waiting = new Map<string, (status: string) => void>();
  const early = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (raw) => {
      const f = JSON.parse(raw.toString()) as { type: string; event?: string; data?: { purchaseId: string; status: string } };
      if (f.type === 'subscribed') resolve();
      if (f.type !== 'event' || f.event !== 'purchase.status' || !f.data) return;
      if (!['COMPLETED', 'REJECTED'].includes(f.data.status)) return;
      const w = waiting.get(f.data.purchaseId);
      if (w) w(f.data.status);
      else early.set(f.data.purchaseId, f.data.status);
    });
    ws.once('error', reject);
  });
  let n = 0;
  return {
    ws,
    /** One purchase; resolves with its latency (ms) from POST to the final status on the socket. */
    async once(): Promise<number> {
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${API_PORT}/purchases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `${id}-${n++}` },
        body: JSON.stringify({ productId: 'gift-card-100', quantity: 1, installments: 1 }),
      });
      if (res.status !== 202) throw new Error(`POST /purchases: ${res.status} ${await res.text()}`);
      const { purchaseId } = (await res.json()) as { purchaseId: string };
      const status =
        early.get(purchaseId) ??
        (await new Promise<string>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`no final status for ${purchaseId} in 30 s`)), 30_000);
          waiting.set(purchaseId, (s) => {
            clearTimeout(t);
            resolve(s);
          });
        }));
      waiting.delete(purchaseId);
      early.delete(purchaseId);
      if (status !== 'COMPLETED') throw new Error(`purchase ${purchaseId} ended ${status}`);
      return performance.now() - started;
    },
  };
}

async function runLevel(which: Path, concurrency: number): Promise<Level> {
  const customers = await Promise.all(Array.from({ length: concurrency }, (_, i) => customer(which, `bench-${which}-${concurrency}-${i}-${Date.now()}`)));
  const latencies: number[] = [];
  let failed = 0;
  const until = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    customers.map(async (c) => {
      while (performance.now() < until) {
        try {
          latencies.push(await c.once());
        } catch (err) {
          failed++;
          log(`${which}: ${(err as Error).message}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const c of customers) c.ws.terminate();
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    completed: latencies.length,
    failed,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const results: Record<Path, Level[]> = { temporal: [], direct: [] };
for (const which of ['temporal', 'direct'] as const) {
  log(`${which}: starting`);
  const child = await startSystem(which);
  await sleep(2_000);
  try {
    await runLevel(which, 2); // warm-up: bundles, connections, JIT
    for (const c of LEVELS) {
      const r = await runLevel(which, c);
      results[which].push(r);
      log(`${which} × ${c}: ${r.perSecond.toFixed(1)}/s, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, ${r.failed} failed`);
    }
  } finally {
    await stop(child);
  }
}

const rows = LEVELS.map((c, i) => {
  const t = results.temporal[i]!;
  const d = results.direct[i]!;
  return `| ${c} | ${t.perSecond.toFixed(1)} | ${t.p50.toFixed(0)} | ${t.p99.toFixed(0)} | ${t.failed} | ${d.perSecond.toFixed(1)} | ${d.p50.toFixed(0)} | ${d.p99.toFixed(0)} | ${d.failed} | ${(t.p50 / d.p50).toFixed(2)}× |`;
});
const best = Math.max(...results.temporal.map((r) => r.perSecond));
const at = results.temporal.findIndex((r) => r.perSecond === best);
const ratio = results.temporal[at]!.p50 / results.direct[at]!.p50;
writeSection(
  'purchases',
  `## Purchase journey: POST /purchases → COMPLETED on the WebSocket

- **Date:** ${new Date().toISOString()}
- **Machine:** ${machine()}
- **Command:** \`BENCH_CONCURRENCY=${LEVELS.join(',')} BENCH_SECONDS=${SECONDS} npm run bench:purchases\`
- **Load:** closed-loop customers (one per concurrency slot), each with its own JWT and WebSocket; a customer POSTs a purchase (Idempotency-Key, gift card) and waits for COMPLETED on its socket before the next. ${SECONDS} s per level after a warm-up.
- **Temporal path:** the whole system in one process (\`main.ts\`: api, gateway, worker, consumers; 4 SQS pollers) on the Temporal CLI dev server (SQLite): API row + idempotency key → workflow \`purchase\` → validate → PENDING → SNS → SQS → fulfillment → purchase-results → signal → PROCESSING → COMPLETED, each status persisted and pushed.
- **Direct path (baseline, the seed's design):** API publishes to SNS; a worker consumes SQS, effects the contract, pushes COMPLETED. Same servers, same gateway code, same contract code; nothing durable between the steps.

| concurrency | Temporal/s | p50 ms | p99 ms | failed | direct/s | p50 ms | p99 ms | failed | p50 ratio |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

**Against the targets**
- ≥ 100 purchases/s on the dev server: best ${best.toFixed(1)}/s — ${best >= 100 ? 'met' : '**not met**'}
- Temporal path ≤ 1.3× the direct path's p50 (at the concurrency of the best rate, ${results.temporal[at]!.concurrency}): ${ratio.toFixed(2)}× — ${ratio <= 1.3 ? 'met' : '**not met**'}

Everything (moto, Kafka, Temporal, MariaDB, Redis, the system and the load generator) shares the two cores.`,
);
log('results written to docs/benchmarks.md');
process.exit(0);
