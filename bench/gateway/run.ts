// Gateway benchmark: N connections, one user channel each, events published at rising rates;
// Tidings' gateway and Socket.IO (Redis adapter) on the identical load, in the same run.
// Run with `npm run bench:gateway` (servers must be up: `npm run infra:up`). Writes docs/benchmarks.md.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { createPresence } from '../../gateway/registry';
import { createPublisher } from '../../gateway/publisher';
import { loadConfig } from '../../platform/config';
import { machine, percentile, writeSection } from '../lib/report';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const CLIENT_PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
const RATES = (process.env.BENCH_RATES ?? '1000,2000,5000,10000,15000,20000,30000,40000').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 6);
const MAX_IN_FLIGHT = 1_000;
// A rate is "sustained" when the publisher kept up, (almost) everything arrived, and the tail stayed bounded.
const SUSTAINED = { achieved: 0.95, delivered: 0.999, p99Ms: 250 };
const TIDINGS_PORT = 4101;
const SOCKETIO_PORT = 4102;

const config = loadConfig();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`[bench:gateway] ${msg}\n`);

type System = 'tidings' | 'socketio';
interface Step {
  target: number;
  achieved: number;
  published: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  sustained: boolean;
}
interface SystemResult {
  system: System;
  connectSeconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssPerConnKb: number;
  steps: Step[];
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

function once<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { cmd: string }) => {
      if (msg.cmd !== cmd) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(msg as T);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${String(code)}) while waiting for ${cmd}`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function startServer(system: System): Promise<ChildProcess> {
  const env = { ...process.env, LOG_LEVEL: 'warn' };
  if (system === 'tidings') {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
      cwd: ROOT,
      env: { ...env, TIDINGS_ROLES: 'gateway', GATEWAY_PORT: String(TIDINGS_PORT), SELF_CHECK_ON_START: 'false' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForHttp(`http://127.0.0.1:${TIDINGS_PORT}/health`);
    return child;
  }
  const child = fork(path.join(ROOT, 'bench/gateway/socketio-server.ts'), [], {
    cwd: ROOT,
    env: { ...env, PORT: String(SOCKETIO_PORT) },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`socket.io server exited (${String(code)})`)));
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
}

/** Publishes `rate` events/s for `seconds`, paced every 5 ms, with bounded in-flight requests. */
async function publishAtRate(publishOne: (user: number) => Promise<unknown>, rate: number, seconds: number) {
  const started = performance.now();
  const total = rate * seconds;
  let sent = 0;
  let inFlight = 0;
  let errors = 0;
  while (sent < total) {
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed > seconds * 1.5) break; // could not keep up; the shortfall shows in `achieved`
    const due = Math.min(total, Math.floor(elapsed * rate));
    while (sent < due && inFlight < MAX_IN_FLIGHT) {
      inFlight++;
      publishOne(sent % CONNECTIONS).then(
        () => inFlight--,
        () => {
          inFlight--;
          errors++;
        },
      );
      sent++;
    }
    await sleep(5);
  }
  while (inFlight > 0) await sleep(5);
  const wallSeconds = (performance.now() - started) / 1000;
  return { published: sent - errors, achieved: sent / Math.max(wallSeconds, seconds) };
}

async function run(system: System, redis: Redis): Promise<SystemResult> {
  log(`${system}: starting server`);
  const server = await startServer(system);
  await sleep(1_000);
  const rssBefore = rssKb(server.pid!);
  const url = system === 'tidings' ? `ws://127.0.0.1:${TIDINGS_PORT}/ws` : `http://127.0.0.1:${SOCKETIO_PORT}`;
  const prefix = `bench-${system}-${Date.now()}-`;
  const perChild = Math.ceil(CONNECTIONS / CLIENT_PROCESSES);
  const connectStarted = Date.now();
  const clients = Array.from({ length: CLIENT_PROCESSES }, (_, k) =>
    fork(path.join(ROOT, 'bench/gateway/clients.ts'), [], {
      cwd: ROOT,
      env: { ...process.env, SYSTEM: system, URL: url, N: String(perChild), PREFIX: `${prefix}${k * perChild}-` },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  // Children name their users `${prefix}${k*perChild}-${i}`; the publisher maps user index → that name.
  const userName = (u: number) => `${prefix}${Math.floor(u / perChild) * perChild}-${u % perChild}`;
  const ready = await Promise.all(clients.map((c) => once<{ connected: number; failed: number }>(c, 'ready')));
  const connected = ready.reduce((s, r) => s + r.connected, 0);
  const connectSeconds = (Date.now() - connectStarted) / 1000;
  log(`${system}: ${connected} connections in ${connectSeconds.toFixed(1)} s (${ready.reduce((s, r) => s + r.failed, 0)} failed)`);
  await sleep(2_000);
  const rssAfter = rssKb(server.pid!);

  let publishOne: (user: number) => Promise<unknown>;
  if (system === 'tidings') {
    const publisher = createPublisher(redis, {
      maxLen: config.GATEWAY_STREAM_MAXLEN,
      ttlSeconds: config.GATEWAY_STREAM_TTL_SECONDS,
      presence: createPresence(redis),
    });
    publishOne = (u) => publisher.publish(`user:${userName(u)}`, 'bench', { n: u }, { countConnections: false });
  } else {
    const emitter = new Emitter(redis);
    publishOne = (u) => {
      emitter.to(`user:${userName(u)}`).emit('event', { n: u, publishedAt: performance.timeOrigin + performance.now() });
      return Promise.resolve();
    };
  }

  const steps: Step[] = [];
  for (const target of RATES) {
    await Promise.all(clients.map((c) => (c.send({ cmd: 'reset' }), once(c, 'reset-done'))));
    const { published, achieved } = await publishAtRate(publishOne, target, STEP_SECONDS);
    // Drain: wait until deliveries stop arriving (or everything arrived).
    let delivered = 0;
    for (let i = 0; i < 40; i++) {
      await sleep(250);
      const counts = await Promise.all(clients.map((c) => (c.send({ cmd: 'count' }), once<{ count: number }>(c, 'count'))));
      const now = counts.reduce((s, c) => s + c.count, 0);
      if (now >= published || (now === delivered && i > 4)) {
        delivered = now;
        break;
      }
      delivered = now;
    }
    const reports = await Promise.all(clients.map((c) => (c.send({ cmd: 'report' }), once<{ latencies: number[] }>(c, 'report'))));
    const all = Float64Array.from(reports.flatMap((r) => r.latencies)).sort();
    const step: Step = {
      target,
      achieved,
      published,
      delivered,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      max: all.length ? all[all.length - 1]! : Number.NaN,
      sustained: false,
    };
    step.sustained = achieved >= target * SUSTAINED.achieved && delivered >= published * SUSTAINED.delivered && step.p99 < SUSTAINED.p99Ms;
    steps.push(step);
    log(
      `${system} @ ${target}/s: achieved ${achieved.toFixed(0)}/s, delivered ${delivered}/${published}, p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms${step.sustained ? '' : '  (not sustained)'}`,
    );
    if (!step.sustained && steps.filter((s) => !s.sustained).length >= 2) break; // two failures: past saturation
  }

  for (const c of clients) c.send({ cmd: 'exit' });
  await Promise.all(clients.map((c) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(null)))));
  await stopProcess(server);
  return {
    system,
    connectSeconds,
    rssBeforeMb: rssBefore / 1024,
    rssAfterMb: rssAfter / 1024,
    rssPerConnKb: (rssAfter - rssBefore) / connected,
    steps,
  };
}

const highestSustained = (r: SystemResult) => Math.max(0, ...r.steps.filter((s) => s.sustained).map((s) => s.achieved));

function toMarkdown(results: SystemResult[], command: string): string {
  const [tidings, socketio] = results as [SystemResult, SystemResult];
  const at5000 = tidings.steps.find((s) => s.target === 5000);
  const ratio = highestSustained(tidings) / Math.max(1, highestSustained(socketio));
  const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
  const rows = results.flatMap((r) =>
    r.steps.map(
      (s) =>
        `| ${r.system} | ${s.target} | ${s.achieved.toFixed(0)} | ${s.delivered}/${s.published} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${s.sustained ? 'yes' : 'no'} |`,
    ),
  );
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  return `## Gateway: publish-to-delivery latency, sustained rate, memory per connection

- **Date:** ${new Date().toISOString()}
- **Machine:** ${machine()}
- **Command:** \`${command}\`
- **Load:** ${CONNECTIONS} WebSocket connections, each authenticated as its own user and subscribed to its own \`user:{id}\` channel, held by ${CLIENT_PROCESSES} load-generator processes on the same machine; events published round-robin over the users from a separate process at rising rates, ${STEP_SECONDS} s per rate. Tidings publishes through \`gateway/publisher.ts\` (Lua: XADD to the channel's bounded stream + PUBLISH); Socket.IO 4.8 with \`@socket.io/redis-adapter\`, events emitted by \`@socket.io/redis-emitter\` to the user's room (PUBLISH only, no history). Latency = arrival time in the client − publish timestamp (same clock).
- **Sustained** = publisher achieved ≥ ${SUSTAINED.achieved * 100}% of the target, ≥ ${SUSTAINED.delivered * 100}% delivered, p99 < ${SUSTAINED.p99Ms} ms.

| system | target msg/s | achieved msg/s | delivered/published | p50 ms | p99 ms | max ms | sustained |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

| | Tidings | Socket.IO |
|---|---|---|
| time to open all connections | ${tidings.connectSeconds.toFixed(1)} s | ${socketio.connectSeconds.toFixed(1)} s |
| server RSS idle → with all connections | ${tidings.rssBeforeMb.toFixed(0)} → ${tidings.rssAfterMb.toFixed(0)} MB | ${socketio.rssBeforeMb.toFixed(0)} → ${socketio.rssAfterMb.toFixed(0)} MB |
| RSS per connection | ${tidings.rssPerConnKb.toFixed(1)} KB | ${socketio.rssPerConnKb.toFixed(1)} KB |
| highest sustained rate | ${highestSustained(tidings).toFixed(0)} msg/s | ${highestSustained(socketio).toFixed(0)} msg/s |

**Against the targets**
- p99 < 50 ms at 5,000 msg/s with ${CONNECTIONS} connections: ${at5000 ? `p99 ${ms(at5000.p99)} ms — ${verdict(at5000.p99 < 50 && at5000.sustained)}` : 'not measured'}
- ≤ 20 KB RSS per connection: ${tidings.rssPerConnKb.toFixed(1)} KB — ${verdict(tidings.rssPerConnKb <= 20)}
- ≥ 2× Socket.IO's sustained rate: ${ratio.toFixed(2)}× — ${verdict(ratio >= 2)}

All processes (Redis, gateway, load generators, publisher) share the ${machine().split(',')[0]} cores, so the figures are a floor for a gateway given its own machine.`;
}

const redis = new Redis(config.REDIS_URL, { enableAutoPipelining: true });
try {
  const results: SystemResult[] = [];
  for (const system of ['tidings', 'socketio'] as const) results.push(await run(system, redis));
  const command = `BENCH_CONNECTIONS=${CONNECTIONS} BENCH_RATES=${RATES.join(',')} BENCH_STEP_SECONDS=${STEP_SECONDS} npm run bench:gateway`;
  writeSection('gateway', toMarkdown(results, command));
  log('results written to docs/benchmarks.md');
} finally {
  redis.disconnect();
}
