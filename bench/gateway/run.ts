// Gateway benchmark: N connections, one user channel each, events published at rising rates;
// Tidings' gateway, Socket.IO (Redis adapter) and Centrifugo (Redis engine) on the identical load,
// in the same run.
// Run with `npm run bench:gateway` (servers must be up: `npm run infra:up`). Writes docs/benchmarks.md.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { createPresence } from '../../gateway/registry';
import { createPublisher } from '../../gateway/publisher';
import { loadConfig } from '../../platform/config';
import { namesOf } from '../../platform/names';
import { machine, percentile, writeSection } from '../lib/report';
import { centrifugoPublisher, startCentrifugo } from './centrifugo';
import { userChannel } from '../../contracts/channels';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const CLIENT_PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
// Up to 60,000: 2× the 30,000 msg/s that Tidings and Socket.IO sustain here, which the floor reaches.
const RATES = (process.env.BENCH_RATES ?? '1000,2000,5000,10000,15000,20000,30000,40000,45000,50000,55000,60000').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 6);
const MAX_IN_FLIGHT = 1_000;
// A rate is "sustained" when the publisher kept up, (almost) everything arrived, and the tail stayed bounded.
const SUSTAINED = { achieved: 0.95, delivered: 0.999, p99Ms: 250 };
const TIDINGS_PORT = 4101;
const SOCKETIO_PORT = 4102;
const CENTRIFUGO_PORT = 4103;
const FLOOR_PORT = 4104;
/** Built by scripts/bench.sh (scripts/infra/install-centrifugo.sh) before this runs. */
const CENTRIFUGO_BIN = process.env.CENTRIFUGO_BIN ?? '';
// `tidings-live`: the same gateway with the user namespace published live only (no history,
// GATEWAY_LIVE_ONLY_NAMESPACES=user): what the per-namespace choice costs where no client recovers.
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'tidings,tidings-live,socketio,centrifugo,floor').split(',') as System[];

const config = loadConfig();
/** The floor server's pub/sub channels: one per user, in the benchmark's environment. */
const FLOOR_CHANNEL_PREFIX = `${namesOf(config).redisPrefix}floor:user:`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`[bench:gateway] ${msg}\n`);

type System = 'tidings' | 'tidings-live' | 'socketio' | 'centrifugo' | 'floor';
const isTidings = (system: System) => system === 'tidings' || system === 'tidings-live';
/** The namespace the live-only variant publishes without history: the benchmark's user channels. */
const LIVE_ONLY = 'user';
interface Step {
  target: number;
  achieved: number;
  published: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  sustained: boolean;
  /** Server CPU (user + system) per 1,000 messages delivered, in CPU-milliseconds. */
  cpuMsPer1000: number;
  /** Redis's CPU per 1,000 messages (INFO cpu, main thread and I/O), the same Redis for every system. */
  redisCpuMsPer1000: number;
  /** This process's CPU per 1,000 messages: the publisher (Lua calls, emitter, HTTP API client). */
  publisherCpuMsPer1000: number;
  /** The load generators' CPU per 1,000 messages (all client processes: WebSocket frames in, latency recorded). */
  clientsCpuMsPer1000: number;
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

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time Redis has used (user + system, all its threads), in ms. */
async function redisCpuMs(): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** This process's CPU time (user + system), in ms. */
const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// BENCH_CPU_PROF=<dir>: the Tidings gateway and the Socket.IO server write V8 CPU profiles there
// (a folder each, a file per thread) when they stop: where a server's time goes at these rates.
const cpuProfileFlags = (name: string): string[] =>
  process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROF, name)}`] : [];

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
  if (isTidings(system)) {
    const child = spawn(process.execPath, [...cpuProfileFlags(system), '--import', 'tsx', 'main.ts'], {
      cwd: ROOT,
      env: {
        ...env,
        TIDINGS_ROLES: 'gateway',
        GATEWAY_PORT: String(TIDINGS_PORT),
        SELF_CHECK_ON_START: 'false',
        GATEWAY_LIVE_ONLY_NAMESPACES: system === 'tidings-live' ? LIVE_ONLY : '',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForHttp(`http://127.0.0.1:${TIDINGS_PORT}/health`);
    return child;
  }
  if (system === 'centrifugo') {
    const child = startCentrifugo(CENTRIFUGO_BIN, config, CENTRIFUGO_PORT);
    await waitForHttp(`http://127.0.0.1:${CENTRIFUGO_PORT}/health`);
    return child;
  }
  const child = fork(path.join(ROOT, `bench/gateway/${system === 'floor' ? 'floor' : 'socketio'}-server.ts`), [], {
    cwd: ROOT,
    env: { ...env, PORT: String(system === 'floor' ? FLOOR_PORT : SOCKETIO_PORT), FLOOR_CHANNEL_PREFIX },
    execArgv: [...cpuProfileFlags(system), '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${system} server exited (${String(code)})`)));
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

/**
 * Past BENCH_RATES a system that still keeps up goes on in steps of this size, up to LADDER_LIMIT.
 * 5,000 (a sixteenth of the floor's 80,000): in steps of 10,000 a system at 79 % of the floor and
 * one at 87 % both read 70,000 against 80,000, and the ratio the target is about moved by whole
 * steps of 12 %.
 */
const EXTRA_STEP = 5_000;
const LADDER_LIMIT = 200_000;

/**
 * The rates a system is stepped through: BENCH_RATES, then on in EXTRA_STEP steps while it keeps
 * up, so that every highest sustained rate is measured rather than the top of the ladder. The
 * floor's is the yardstick of the 80 % target: the ladder that stopped at 60,000 reported 75–83 %
 * of a floor that, measured to its end, sustained 80,000 (docs/gateway-hot-path.md).
 */
function* ladder(steps: readonly Step[]): Generator<number> {
  yield* RATES;
  let target = RATES.at(-1) ?? 0;
  while (steps.at(-1)?.sustained && target + EXTRA_STEP <= LADDER_LIMIT) yield (target += EXTRA_STEP);
}

async function run(system: System, redis: Redis, prefixedRedis: Redis): Promise<SystemResult> {
  log(`${system}: starting server`);
  const server = await startServer(system);
  await sleep(1_000);
  const rssBefore = rssKb(server.pid!);
  const url = {
    tidings: `ws://127.0.0.1:${TIDINGS_PORT}/ws`,
    'tidings-live': `ws://127.0.0.1:${TIDINGS_PORT}/ws`,
    socketio: `http://127.0.0.1:${SOCKETIO_PORT}`,
    centrifugo: `ws://127.0.0.1:${CENTRIFUGO_PORT}/connection/websocket`,
    floor: `ws://127.0.0.1:${FLOOR_PORT}/`,
  }[system];
  const prefix = `bench-${system}-${Date.now()}-`;
  const perChild = Math.ceil(CONNECTIONS / CLIENT_PROCESSES);
  const connectStarted = Date.now();
  const clients = Array.from({ length: CLIENT_PROCESSES }, (_, k) =>
    fork(path.join(ROOT, 'bench/gateway/clients.ts'), [], {
      cwd: ROOT,
      env: { ...process.env, SYSTEM: isTidings(system) ? 'tidings' : system, URL: url, N: String(perChild), PREFIX: `${prefix}${k * perChild}-` },
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
  if (isTidings(system)) {
    // The gateway reads its environment's prefixed keys and channels, so the publisher must too.
    const publisher = createPublisher(prefixedRedis, {
      maxLen: config.GATEWAY_STREAM_MAXLEN,
      ttlSeconds: config.GATEWAY_STREAM_TTL_SECONDS,
      presence: createPresence(redis),
      liveOnlyNamespaces: system === 'tidings-live' ? [LIVE_ONLY] : [],
    });
    publishOne = (u) => publisher.publish(userChannel(userName(u)), 'bench', { n: u }, { countConnections: false });
  } else if (system === 'centrifugo') {
    const publish = centrifugoPublisher(CENTRIFUGO_PORT);
    publishOne = (u) => publish(`#${userName(u)}`, { n: u, publishedAt: performance.timeOrigin + performance.now() });
  } else if (system === 'floor') {
    publishOne = (u) =>
      redis.publish(`${FLOOR_CHANNEL_PREFIX}${userName(u)}`, JSON.stringify({ n: u, publishedAt: performance.timeOrigin + performance.now() }));
  } else {
    const emitter = new Emitter(redis);
    publishOne = (u) => {
      emitter.to(userChannel(userName(u))).emit('event', { n: u, publishedAt: performance.timeOrigin + performance.now() });
      return Promise.resolve();
    };
  }

  const steps: Step[] = [];
  for (const target of ladder(steps)) {
    await Promise.all(clients.map((c) => (c.send({ cmd: 'reset' }), once(c, 'reset-done'))));
    const cpuBefore = cpuMs(server.pid!);
    const redisBefore = await redisCpuMs();
    const ownBefore = ownCpuMs();
    const clientsBefore = clients.reduce((sum, c) => sum + cpuMs(c.pid!), 0);
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
    const cpuUsed = cpuMs(server.pid!) - cpuBefore;
    const redisUsed = (await redisCpuMs()) - redisBefore;
    const ownUsed = ownCpuMs() - ownBefore;
    const clientsUsed = clients.reduce((sum, c) => sum + cpuMs(c.pid!), 0) - clientsBefore;
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
      cpuMsPer1000: delivered ? (cpuUsed / delivered) * 1000 : Number.NaN,
      redisCpuMsPer1000: delivered ? (redisUsed / delivered) * 1000 : Number.NaN,
      publisherCpuMsPer1000: delivered ? (ownUsed / delivered) * 1000 : Number.NaN,
      clientsCpuMsPer1000: delivered ? (clientsUsed / delivered) * 1000 : Number.NaN,
    };
    step.sustained = achieved >= target * SUSTAINED.achieved && delivered >= published * SUSTAINED.delivered && step.p99 < SUSTAINED.p99Ms;
    steps.push(step);
    log(
      `${system} @ ${target}/s: achieved ${achieved.toFixed(0)}/s, delivered ${delivered}/${published}, p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms, server CPU ${step.cpuMsPer1000.toFixed(0)}, Redis ${step.redisCpuMsPer1000.toFixed(0)}, publisher ${step.publisherCpuMsPer1000.toFixed(0)}, load generators ${step.clientsCpuMsPer1000.toFixed(0)} ms/1000 msg${step.sustained ? '' : '  (not sustained)'}`,
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
  const by = (name: System) => results.find((r) => r.system === name);
  const tidings = by('tidings')!;
  const at5000 = tidings.steps.find((s) => s.target === 5000);
  const ratio = (other: SystemResult | undefined) => (other ? highestSustained(tidings) / Math.max(1, highestSustained(other)) : Number.NaN);
  const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
  /** Server CPU per 1,000 messages over the sustained steps (the cost the server pays per message). */
  const cpuPer1000 = (r: SystemResult) => {
    const ok = r.steps.filter((s) => s.sustained && Number.isFinite(s.cpuMsPer1000));
    return ok.length ? ok.reduce((a, s) => a + s.cpuMsPer1000, 0) / ok.length : Number.NaN;
  };
  const rows = results.flatMap((r) =>
    r.steps.map(
      (s) =>
        `| ${r.system} | ${s.target} | ${s.achieved.toFixed(0)} | ${s.delivered}/${s.published} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${ms(s.cpuMsPer1000)} | ${ms(s.redisCpuMsPer1000)} | ${ms(s.publisherCpuMsPer1000)} | ${ms(s.clientsCpuMsPer1000)} | ${s.sustained ? 'yes' : 'no'} |`,
    ),
  );
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  const col = (f: (r: SystemResult) => string) => results.map(f).join(' | ');
  const socketio = by('socketio');
  const centrifugo = by('centrifugo');
  const floor = by('floor');
  const live = by('tidings-live');
  // The highest rate both variants sustained: where their per-message costs compare.
  const bothAt = (() => {
    const l = live?.steps.filter((x) => x.sustained) ?? [];
    const t = tidings.steps.filter((x) => x.sustained && l.some((y) => y.target === x.target)).at(-1);
    return t ? { tidings: t, live: l.find((y) => y.target === t.target)! } : undefined;
  })();
  return `## Gateway: publish-to-delivery latency, sustained rate, memory per connection

- **Date:** ${new Date().toISOString()}
- **Machine:** ${machine()}
- **Command:** \`${command}\`
- **Load:** ${CONNECTIONS} WebSocket connections, each authenticated as its own user and subscribed to its own user channel, held by ${CLIENT_PROCESSES} load-generator processes on the same machine; events published round-robin over the users from a separate process at rising rates, ${STEP_SECONDS} s per rate, the same for each system, one system at a time, on the same Redis. Tidings publishes through \`gateway/publisher.ts\` (Lua: XADD to the channel's bounded stream + PUBLISH); tidings-live is the same gateway and publisher with the user namespace live only (\`GATEWAY_LIVE_ONLY_NAMESPACES=user\`: PUBLISH alone, no history); Socket.IO 4.8 with \`@socket.io/redis-adapter\`, events emitted by \`@socket.io/redis-emitter\` to the user's room (PUBLISH only, no history); Centrifugo v6.9.1 (built from its Go module by \`scripts/infra/install-centrifugo.sh\`) with its Redis engine (prefix of the bench environment) and the same HS256 JWTs, each connection subscribed server-side to its personal channel \`#<user>\` with a bounded history (${config.GATEWAY_STREAM_MAXLEN}, like Tidings' streams), published through its HTTP server API (\`/api/batch\`, the publishes of one event-loop tick per request), clients speaking its JSON protocol over WebSocket (\`bench/gateway/clients.ts\`); the floor, a bare \`ws\` server (\`bench/gateway/floor-server.ts\`) that authenticates the same JWTs, subscribes one Redis pub/sub channel per user and writes each published message to the socket untouched (no protocol, history or metrics): no Node gateway fed by Redis does less per message. Latency = arrival time in the client − publish timestamp (same clock). Server CPU = user + system time of the server process during the step, per 1,000 messages delivered; Redis CPU the same from Redis's INFO (one Redis for all); publisher CPU that of the benchmark process, which publishes; load generators CPU that of the ${CLIENT_PROCESSES} client processes together (the \`ws\` client's frame parsing, a string per message and the latency recorded), read from /proc like the server's.
- **Sustained** = publisher achieved ≥ ${SUSTAINED.achieved * 100}% of the target, ≥ ${SUSTAINED.delivered * 100}% delivered, p99 < ${SUSTAINED.p99Ms} ms. A system still sustained at the last rate of BENCH_RATES goes on in steps of ${EXTRA_STEP} until it is not (at most ${LADDER_LIMIT}), so each highest sustained rate is measured, not the top of the ladder.

| system | target msg/s | achieved msg/s | delivered/published | p50 ms | p99 ms | max ms | server CPU ms / 1,000 msg | Redis CPU ms / 1,000 msg | publisher CPU ms / 1,000 msg | load generators CPU ms / 1,000 msg | sustained |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

| | ${col((r) => r.system)} |
|---|${results.map(() => '---').join('|')}|
| time to open all connections | ${col((r) => `${r.connectSeconds.toFixed(1)} s`)} |
| server RSS idle → with all connections | ${col((r) => `${r.rssBeforeMb.toFixed(0)} → ${r.rssAfterMb.toFixed(0)} MB`)} |
| RSS per connection | ${col((r) => `${r.rssPerConnKb.toFixed(1)} KB`)} |
| highest sustained rate | ${col((r) => `${highestSustained(r).toFixed(0)} msg/s`)} |
| server CPU per 1,000 msg (mean over sustained steps) | ${col((r) => `${ms(cpuPer1000(r))} ms`)} |

**Against the targets**
- ≥ 40,000 msg/s sustained and ≥ 80 % of the floor's highest sustained rate in the same run, with history kept (every event appended to its channel's stream): ${floor ? `${highestSustained(tidings).toFixed(0)} msg/s = ${((highestSustained(tidings) / Math.max(1, highestSustained(floor))) * 100).toFixed(0)} % of the floor's ${highestSustained(floor).toFixed(0)} — ${verdict(highestSustained(tidings) >= 40_000 && highestSustained(tidings) >= 0.8 * highestSustained(floor))}` : 'the floor not measured'}
- The per-namespace choice, where no client ever recovers (\`GATEWAY_LIVE_ONLY_NAMESPACES\`, the user namespace here; no history, offsets or epochs): ${live ? `${highestSustained(live).toFixed(0)} msg/s sustained${floor ? ` = ${((highestSustained(live) / Math.max(1, highestSustained(floor))) * 100).toFixed(0)} % of the floor` : ''}${bothAt ? `; Redis CPU at ${bothAt.tidings.target} msg/s ${ms(bothAt.live.redisCpuMsPer1000)} ms per 1,000 msg against ${ms(bothAt.tidings.redisCpuMsPer1000)} with history` : ''}` : 'not measured'}
- p99 < 50 ms at 5,000 msg/s with ${CONNECTIONS} connections: ${at5000 ? `p99 ${ms(at5000.p99)} ms — ${verdict(at5000.p99 < 50 && at5000.sustained)}` : 'not measured'}
- ≤ 20 KB RSS per connection: ${tidings.rssPerConnKb.toFixed(1)} KB — ${verdict(tidings.rssPerConnKb <= 20)}
- ≥ 2× Socket.IO's sustained rate: ${ratio(socketio).toFixed(2)}× — ${verdict(ratio(socketio) >= 2)}
- ≥ Centrifugo per core (server CPU per 1,000 msg no higher than Centrifugo's): ${centrifugo ? `${ms(cpuPer1000(tidings))} vs ${ms(cpuPer1000(centrifugo))} ms — ${verdict(cpuPer1000(tidings) <= cpuPer1000(centrifugo))}; sustained rate ${ratio(centrifugo).toFixed(2)}× Centrifugo's` : 'not measured'}${
    floor && socketio
      ? `\n- The floor on the same load: highest sustained ${highestSustained(floor).toFixed(0)} msg/s${
          floor.steps.at(-1)?.sustained
            ? ` (still keeping up at ${LADDER_LIMIT} msg/s, where the ladder stops: a lower bound)`
            : ` (it fell behind at ${floor.steps.at(-1)!.target})`
        } at ${ms(cpuPer1000(floor))} ms server CPU per 1,000 msg (Tidings ${ms(cpuPer1000(tidings))}, Socket.IO ${ms(cpuPer1000(socketio))}); 2× Socket.IO's sustained rate would be ${(2 * highestSustained(socketio)).toFixed(0)} msg/s, which the floor ${highestSustained(floor) >= 2 * highestSustained(socketio) * SUSTAINED.achieved ? 'reaches' : 'does not reach'} on this machine: what a gateway with no history, protocol or metrics can do here`
      : ''
  }

All processes (Redis, servers, load generators, publisher) share the ${machine().split(',')[0]} cores, so the figures are a floor for a gateway given its own machine; the floor server's highest sustained rate shows how far the load generators and the publisher themselves go. Where the CPU goes per message, before and after the last changes, and the next limit: [gateway-hot-path.md](gateway-hot-path.md).`;
}

const redis = new Redis(config.REDIS_URL, { enableAutoPipelining: true });
const prefixedRedis = new Redis(config.REDIS_URL, { enableAutoPipelining: true, keyPrefix: namesOf(config).redisPrefix });
try {
  const results: SystemResult[] = [];
  for (const system of SYSTEMS) results.push(await run(system, redis, prefixedRedis));
  const command = `BENCH_CONNECTIONS=${CONNECTIONS} BENCH_RATES=${RATES.join(',')} BENCH_STEP_SECONDS=${STEP_SECONDS} npm run bench:gateway`;
  writeSection('gateway', toMarkdown(results, command));
  log('results written to docs/benchmarks.md');
} finally {
  redis.disconnect();
  prefixedRedis.disconnect();
}
