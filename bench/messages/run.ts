// Chat benchmark: members subscribed to their conversations on the gateway; messages sent through
// the API at rising rates; each goes API (message + outbox row) → Kafka `messages` → connector
// simulators → `msg.status` → consumer (conditional update in MySQL) → `conversation:{id}`, with the
// delivery deadline in Temporal (one bucket workflow per slice). Reports lifecycles/s, the SENT and
// DELIVERED ticks' latency from the send, messages lost, how late FAILED came for the ones the
// simulators never delivered, and the workflow tasks per message counted from the server; plus the
// dev server's empty-workflow ceiling, all in one run. `npm run bench:messages` (BENCH_RATES,
// BENCH_SECONDS, BENCH_WARMUP_RATE/SECONDS, BENCH_MODES=buckets, BENCH_CPU_PROF=dir).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { WebSocket } from 'ws';
import { signToken } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { createContext } from '../../runtime/context';
import { createJsonClient } from '../lib/http-client';
import { cpuDelta, cpuSnapshot, formatShares } from '../lib/cpu';
import { machine, percentile, writeSection } from '../lib/report';
import { emptyWorkflowCeiling, workflowTasks } from '../lib/temporal-cost';
import { conversationChannel } from '../../contracts/channels';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const RATES = (process.env.BENCH_RATES ?? '100,200,300,400').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
// An unrecorded first step at the first measured rate: it absorbs the system's start-up (the worker
// bundling its workflows, JIT, connection pools) and the brokers' own (a freshly started Kafka spent
// half a core compiling for ten seconds at 300/s: DELIVERED p99 373 ms after a warm-up at 50/s, 141
// ms after one at 300/s, both on servers started just before), which otherwise lands in the first
// recorded step. The figures are the steady state's; BENCH_WARMUP_SECONDS=0 measures a cold start.
const WARMUP = { rate: Number(process.env.BENCH_WARMUP_RATE ?? RATES[0]), seconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 15) };
// The deadline designs to run: only `buckets` is left (issue #29 removed the per-tick alternative,
// measured against it in docs/message-status.md); the report keeps its "deadline design" column.
type Mode = 'buckets';
const MODES = (process.env.BENCH_MODES ?? 'buckets').split(',').map((m): Mode => {
  if (m !== 'buckets') throw new Error(`BENCH_MODES: unknown deadline design ${m} (only buckets is left)`);
  return m;
});
const CONVERSATIONS = 50;
const FAILURE_RATE = 0.01;
const DEADLINE_MS = 10_000;
const SLICE_MS = 5_000;
// The system's processes, by roles: BENCH_PROCESSES, groups separated by ';'. By default two, so the
// system can use both cores: the HTTP side (API, whose dispatch sends to Kafka and arms the
// deadlines, and the worker) and the event side (consumers, simulators, gateway).
// `BENCH_PROCESSES=all` is `npm start`'s layout: every role in one process.
const PROCESSES = (process.env.BENCH_PROCESSES ?? 'api,worker;consumers,simulators,gateway')
  .split(';')
  .map((roles) => (roles === 'all' ? 'api,worker,consumers,simulators,gateway' : roles));
// BENCH_CPU_PROF=<dir>: each system process writes a V8 CPU profile there when it exits (open it in
// Chrome DevTools or speedscope), one folder per process and one file per thread — to see where a
// rate's time goes before tuning anything.
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
const cpuProfileFlags = (roles: string): string[] =>
  CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF_DIR, roles.replace(/,/g, '+'))}`] : [];
const API_PORT = 4400 + Math.floor(Math.random() * 50) * 2;
const API = `http://127.0.0.1:${API_PORT}`;
const stamp = Date.now().toString(36);
const baseEnv = {
  ...process.env,
  LOG_LEVEL: 'warn',
  API_PORT: String(API_PORT),
  GATEWAY_PORT: String(API_PORT + 1),
  SELF_CHECK_ON_START: 'false',
  LEDGER_RELAY_ON_START: 'false',
  API_RATE_LIMIT_PER_USER: '100000000',
  API_RATE_LIMIT_PER_IP: '100000000',
  SIM_SENT_DELAY_MS: '0',
  SIM_DELIVERED_DELAY_MS: '0',
  SIM_FAILURE_RATE: String(FAILURE_RATE),
  MESSAGE_DELIVER_DEADLINE_MS: String(DEADLINE_MS),
  MESSAGE_DEADLINE_BUCKET_MS: String(SLICE_MS),
  // Fresh groups that start at the end of each topic: earlier runs' records are not replayed.
  KAFKA_NEW_GROUP_FROM: 'latest',
};
const config = loadConfig(baseEnv);
const ctx = createContext(config, createLogger('warn'));
const client = await ctx.temporal();
const log = (m: string) => process.stdout.write(`[bench:messages] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(0));

log(`environment ${config.TIDINGS_ENV}; measuring the dev server's empty-workflow ceiling`);
const ceiling = await emptyWorkflowCeiling(client, config);
log(`ceiling: ${ceiling.perSecond.toFixed(0)} empty workflows/s (${ceiling.total} runs, 64 in flight)`);

interface Step {
  rate: number;
  sent: number;
  delivered: number;
  failed: number;
  lost: number;
  perSecond: number;
  sentP50: number;
  sentP99: number;
  deliveredP50: number;
  deliveredP99: number;
  failedLateP50: number;
  failedLateMax: number;
  stages?: Record<Stage, { p50: number; p99: number }>;
  /** CPU while sending, as shares of one core by process ("main.ts (api,worker) 54 %, …"). */
  cpu?: string;
}

// Where a lifecycle's time goes, from the timestamps the system keeps on each message row (one
// clock: everything runs on this machine): accepted = the send request until the row's commit
// (created_at); dispatch = until the dispatcher had it on Kafka `messages` (dispatched_at is
// stamped after the produce); channel = until the connector said SENT (sent_at, the simulator's
// clock); tick = until the SENT tick reached the member's socket.
const STAGES = ['accepted', 'dispatch', 'channel', 'tick'] as const;
type Stage = (typeof STAGES)[number];
async function stageLatencies(
  sentAt: Map<string, number>,
  arrivals: Map<string, Partial<Record<'SENT' | 'DELIVERED' | 'FAILED', number>>>,
): Promise<Record<Stage, { p50: number; p99: number }>> {
  const ids = [...sentAt.keys()];
  const values: Record<Stage, number[]> = { accepted: [], dispatch: [], channel: [], tick: [] };
  const epoch = (t: number) => performance.timeOrigin + t;
  for (let i = 0; i < ids.length; i += 1000) {
    const [rows] = await ctx
      .mysql()
      .query<RowDataPacket[]>('SELECT message_id, created_at, dispatched_at, sent_at FROM messages WHERE message_id IN (?)', [ids.slice(i, i + 1000)]);
    for (const r of rows) {
      const id = r.message_id as string;
      const t0 = epoch(sentAt.get(id)!);
      const created = (r.created_at as Date).getTime();
      const dispatched = (r.dispatched_at as Date | null)?.getTime();
      const sent = (r.sent_at as Date | null)?.getTime();
      const ticked = arrivals.get(id)?.SENT;
      values.accepted.push(created - t0);
      if (dispatched !== undefined) values.dispatch.push(dispatched - created);
      if (dispatched !== undefined && sent !== undefined) values.channel.push(sent - dispatched);
      if (sent !== undefined && ticked !== undefined) values.tick.push(epoch(ticked) - sent);
    }
  }
  const summary = (v: number[]) => {
    const sorted = v.sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  return { accepted: summary(values.accepted), dispatch: summary(values.dispatch), channel: summary(values.channel), tick: summary(values.tick) };
}
/** DELIVERED p99 of the messages sent in each second of a step: shows whether a tail is spread or one stall. */
function bySecond(sentAt: Map<string, number>, arrivals: Map<string, Partial<Record<'SENT' | 'DELIVERED' | 'FAILED', number>>>, started: number): string[] {
  const seconds: number[][] = [];
  for (const [id, t0] of sentAt) {
    const at = arrivals.get(id)?.DELIVERED;
    if (at === undefined) continue;
    (seconds[Math.floor((t0 - started) / 1000)] ??= []).push(at - t0);
  }
  return Array.from(seconds, (v) =>
    v
      ? fmt(
          percentile(
            v.sort((a, b) => a - b),
            99,
          ),
        )
      : '-',
  );
}
/** Says why a step lost messages: sends the API refused, or accepted messages as MySQL has them. */
async function explainLost(
  sentAt: Map<string, number>,
  arrivals: Map<string, Partial<Record<'SENT' | 'DELIVERED' | 'FAILED', number>>>,
  refused: string[],
): Promise<void> {
  if (refused.length > 0) log(`${refused.length} sends not accepted: ${[...new Set(refused)].slice(0, 5).join('; ')}`);
  const unfinished = [...sentAt.keys()].filter((id) => !arrivals.get(id)?.DELIVERED && !arrivals.get(id)?.FAILED);
  if (unfinished.length === 0) return;
  const [rows] = await ctx
    .mysql()
    .query<RowDataPacket[]>(
      'SELECT message_id, status, created_at, dispatched_at, deadline_at, sent_at, delivered_at, failed_at FROM messages WHERE message_id IN (?) LIMIT 10',
      [unfinished],
    );
  log(`${unfinished.length} accepted messages with no final tick; as stored: ${JSON.stringify(rows)}`);
}
interface ModeResult {
  mode: Mode;
  steps: Step[];
  messages: number;
  tasks: number;
  workflows: number;
  runs: number;
}

async function runMode(mode: Mode): Promise<ModeResult> {
  const taskQueue = `bench-messages-${stamp}-${mode}`;
  const env = { ...baseEnv, TEMPORAL_TASK_QUEUE: taskQueue, KAFKA_GROUP_PREFIX: `bench-${stamp}-${mode}` };
  const children: ChildProcess[] = PROCESSES.map((roles) =>
    spawn(process.execPath, [...cpuProfileFlags(roles), '--import', 'tsx', 'main.ts'], {
      cwd: ROOT,
      env: { ...env, TIDINGS_ROLES: roles },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  // Should the benchmark die, the system it started must not outlive it.
  const reap = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', reap);
  for (let i = 0; ; i++) {
    if ((await fetch(`${API}/ready`).catch(() => undefined))?.ok) break;
    if (i > 240) throw new Error('the system did not become ready');
    await sleep(250);
  }
  await sleep(5_000); // consumers join their groups

  const sender = `bench-sender-${stamp}-${mode}`;
  const senderToken = await signToken(config, sender, { ttlSeconds: 7200 });
  const sentAt = new Map<string, number>();
  // Arrival times by message: a tick can arrive before the send's own 202 has been read here.
  const arrivals = new Map<string, Partial<Record<'SENT' | 'DELIVERED' | 'FAILED', number>>>();
  const conversations: string[] = [];
  const sockets: WebSocket[] = [];
  const http = createJsonClient(API);
  for (let i = 0; i < CONVERSATIONS; i++) {
    const reader = `bench-reader-${stamp}-${mode}-${i}`;
    const readerToken = await signToken(config, reader, { ttlSeconds: 7200 });
    // Conversations are started with known users only: the reader calls the API once.
    await fetch(`${API}/conversations`, { headers: { authorization: `Bearer ${readerToken}` } });
    const res = await fetch(`${API}/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${senderToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ organizationId: 'bench-org', channel: i % 2 ? 'instagram' : 'whatsapp', members: [reader] }),
    });
    const { conversationId } = (await res.json()) as { conversationId: string };
    conversations.push(conversationId);
    const ws = new WebSocket(`ws://127.0.0.1:${API_PORT + 1}/ws`, {
      headers: { authorization: `Bearer ${readerToken}` },
    });
    sockets.push(ws);
    await new Promise<void>((resolve) => {
      ws.on('message', (raw) => {
        const f = JSON.parse(raw.toString()) as { type: string; channel?: string; event?: string; data?: { messageId: string; status: string } };
        if (f.type === 'subscribed' && f.channel === conversationChannel(conversationId)) resolve();
        if (f.type === 'welcome') ws.send(JSON.stringify({ type: 'subscribe', channel: conversationChannel(conversationId) }));
        if (f.event !== 'message.status' || !f.data) return;
        const a = arrivals.get(f.data.messageId) ?? {};
        if (f.data.status === 'SENT' || f.data.status === 'DELIVERED' || f.data.status === 'FAILED') a[f.data.status] ??= performance.now();
        arrivals.set(f.data.messageId, a);
      });
    });
  }
  log(`${mode}: ${CONVERSATIONS} conversations, one subscribed member each`);

  const steps: Step[] = [];
  let n = 0;
  let messages = 0;
  const ladder = [...(WARMUP.seconds > 0 ? [{ ...WARMUP, warmUp: true }] : []), ...RATES.map((rate) => ({ rate, seconds: SECONDS, warmUp: false }))];
  for (const { rate, seconds, warmUp } of ladder) {
    sentAt.clear();
    const refused: string[] = [];
    const resetsBefore = http.resets;
    let sent = 0;
    const started = performance.now();
    const cpuBefore = cpuSnapshot();
    const inFlight: Promise<void>[] = [];
    while (performance.now() - started < seconds * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      while (sent < due) {
        const i = n++;
        sent++;
        const t0 = performance.now();
        inFlight.push(
          http
            .post<{ messageId: string }>(
              `/conversations/${conversations[i % CONVERSATIONS]}/messages`,
              { clientMessageId: `b${i}`, text: `message ${i}` },
              { authorization: `Bearer ${senderToken}` },
            )
            .then(({ status, body }) => {
              if (status === 202) sentAt.set(body.messageId, t0);
              else refused.push(`HTTP ${status} ${JSON.stringify(body)}`);
            })
            // Not accepted (the API overwhelmed): counted as lost, never as delivered.
            .catch((err: Error) => void refused.push(err.message)),
        );
      }
      await sleep(2);
    }
    await Promise.all(inFlight);
    messages += sent;
    // The measured step follows the warm-up at once: waiting here for the warm-up's undelivered
    // messages to fail (one deadline and a slice, 15 s) left the system idle, and each step began
    // cold, its first second's p99 two to five times the rest's.
    if (warmUp) {
      log(`${mode} warm-up at ${rate}/s for ${seconds} s: ${sent} sent (not recorded; the first step follows at once)`);
      continue;
    }
    const sendSeconds = (performance.now() - started) / 1000;
    const cpuShares = [...cpuDelta(cpuBefore, cpuSnapshot())].map(([g, used]): [string, number] => [g, used / sendSeconds]).sort((a, b) => b[1] - a[1]);
    // This step's messages that reached their last tick (the warm-up's may still be arriving).
    const finished = () => {
      let n = 0;
      for (const id of sentAt.keys()) if (arrivals.get(id)?.DELIVERED !== undefined || arrivals.get(id)?.FAILED !== undefined) n++;
      return n;
    };
    // Lifecycles finish with DELIVERED; the few never delivered finish with FAILED, up to one
    // deadline plus one slice after their send.
    let deliveredAt = performance.now();
    for (let waited = 0; waited < DEADLINE_MS + SLICE_MS + 20_000 && finished() < sentAt.size; waited += 250) {
      if (finished() < sentAt.size * (1 - 3 * FAILURE_RATE)) deliveredAt = performance.now();
      await sleep(250);
    }
    const of = (status: 'SENT' | 'DELIVERED' | 'FAILED', minus = 0) =>
      [...sentAt]
        .flatMap(([id, t0]) => {
          const at = arrivals.get(id)?.[status];
          return at === undefined ? [] : [at - t0 - minus];
        })
        .sort((a, b) => a - b);
    const d = of('DELIVERED');
    if (http.resets > resetsBefore)
      log(`${http.resets - resetsBefore} sends retried after a connection reset (same clientMessageId; latency from the first try)`);
    await explainLost(sentAt, arrivals, refused);
    const s = of('SENT');
    const f = of('FAILED', DEADLINE_MS);
    const step: Step = {
      rate,
      sent,
      delivered: d.length,
      failed: f.length,
      lost: sent - d.length - f.length,
      perSecond: d.length / Math.max(sendSeconds, (deliveredAt - started) / 1000),
      sentP50: percentile(s, 50),
      sentP99: percentile(s, 99),
      deliveredP50: percentile(d, 50),
      deliveredP99: percentile(d, 99),
      failedLateP50: percentile(f, 50),
      failedLateMax: f.length ? f[f.length - 1]! : Number.NaN,
    };
    step.stages = await stageLatencies(sentAt, arrivals);
    steps.push(step);
    log(
      `${mode} ${rate}/s: ${step.delivered} delivered + ${step.failed} failed of ${sent} (${step.lost} lost), ${step.perSecond.toFixed(1)} lifecycles/s, ` +
        `DELIVERED tick p50 ${step.deliveredP50.toFixed(0)} ms p99 ${step.deliveredP99.toFixed(0)} ms; FAILED late p50 ${step.failedLateP50.toFixed(0)} ms`,
    );
    log(`${mode} ${rate}/s stages p50 / p99 ms: ${STAGES.map((k) => `${k} ${fmt(step.stages![k].p50)} / ${fmt(step.stages![k].p99)}`).join(', ')}`);
    step.cpu = formatShares(cpuShares);
    log(`${mode} ${rate}/s CPU while sending (share of one core): ${step.cpu}`);
    log(`${mode} ${rate}/s DELIVERED p99 by send second (ms): ${bySecond(sentAt, arrivals, started).join(' ')}`);
    if (step.lost > 0 || step.deliveredP99 > 5_000) break; // past saturation
  }
  for (const ws of sockets) ws.terminate();
  http.close();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)))));
  process.removeListener('exit', reap);
  const prefix = `${config.TIDINGS_ENV}.`;
  const buckets = await workflowTasks(client, `${prefix}msg-deadline-${taskQueue}-`);
  const relay = await workflowTasks(client, `${prefix}message-relay-${taskQueue}`);
  const tasks = buckets.tasks + relay.tasks;
  log(
    `${mode}: ${tasks} workflow tasks for ${messages} messages = ${(tasks / messages).toFixed(4)} per message (buckets ${buckets.tasks}, relay ${relay.tasks})`,
  );
  return { mode, steps, messages, tasks, workflows: buckets.workflows + relay.workflows, runs: buckets.runs + relay.runs };
}

const results: ModeResult[] = [];
for (const mode of MODES) results.push(await runMode(mode));
await ctx.lifecycle.close();

const sustained = (s: Step) => s.perSecond >= 0.95 * s.rate && s.lost === 0 && s.deliveredP99 < 500;
const rows = results.flatMap((r) =>
  r.steps.map(
    (s) =>
      `| ${r.mode} | ${s.rate} | ${s.sent} | ${s.delivered} / ${s.failed} / **${s.lost}** | ${s.perSecond.toFixed(1)} | ${fmt(s.sentP50)} / ${fmt(s.sentP99)} | ${fmt(s.deliveredP50)} / **${fmt(s.deliveredP99)}** | ${fmt(s.failedLateP50)} / ${fmt(s.failedLateMax)} | ${sustained(s) ? 'yes' : 'no'} |`,
  ),
);
const stageRows = results.flatMap((r) =>
  r.steps.map(
    (s) =>
      `| ${r.mode} | ${s.rate} | ${STAGES.map((k) => (s.stages ? `${fmt(s.stages[k].p50)} / ${fmt(s.stages[k].p99)}` : '—')).join(' | ')} | ${s.cpu ?? '—'} |`,
  ),
);
const costRows = results.map(
  (r) =>
    `| ${r.mode} | ${r.messages} | ${r.tasks} (${r.workflows} workflows, ${r.runs} runs) | **${(r.tasks / r.messages).toFixed(4)}** | ${Math.max(0, ...r.steps.filter(sustained).map((s) => s.perSecond)).toFixed(0)}/s |`,
);
const main = results[0]!;
const best = main.steps.filter(sustained).sort((a, b) => b.perSecond - a.perSecond)[0];
const at300 = main.steps.find((s) => s.rate === 300);
// Issue #35's bar, strictly: 600 DELIVERED lifecycles a second (1 % of messages are never delivered
// by design, so it takes about 607/s offered), DELIVERED p99 < 500 ms, 0 lost; judged on the steps
// offered 600/s or more, the one that reaches it if any.
const reaches600 = (s: Step) => s.perSecond >= 600 && s.deliveredP99 < 500 && s.lost === 0;
const at600 = main.steps.filter((s) => s.rate >= 600).sort((a, b) => Number(reaches600(b)) - Number(reaches600(a)) || a.rate - b.rate)[0];
const oneProcess = PROCESSES.length === 1;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
writeSection(
  'messages',
  `## Chat message lifecycle: send → SENT and DELIVERED ticks on the WebSocket

- **Date:** ${new Date().toISOString()}
- **Machine:** ${machine()}
- **Command:** \`${process.env.BENCH_PROCESSES ? `BENCH_PROCESSES='${process.env.BENCH_PROCESSES}' ` : ''}BENCH_RATES=${RATES.join(',')} BENCH_SECONDS=${SECONDS} BENCH_MODES=${MODES.join(',')} npm run bench:messages\`
- **Load:** ${CONVERSATIONS} conversations, each with one member subscribed to \`conversation:{id}\` on the gateway; messages sent through \`POST /conversations/:id/messages\` at each rate for ${SECONDS} s (open loop, node:http over keep-alive sockets), after an unrecorded warm-up at ${WARMUP.rate}/s for ${WARMUP.seconds} s that runs straight into the first step (each later step starts after the one before has drained). The system as ${PROCESSES.length === 1 ? 'one process, `npm start`’s layout' : `${PROCESSES.length} processes`} (\`main.ts\` roles ${PROCESSES.map((p) => `\`${p}\``).join(' and ')}), connector simulators with no artificial delay and ${FAILURE_RATE * 100}% of messages never delivered, delivery deadline ${DEADLINE_MS / 1000} s, deadline slices of ${SLICE_MS / 1000} s. Latency = from the send request to the tick on the member's socket; a lifecycle counts when DELIVERED arrived; lost = neither DELIVERED nor FAILED arrived; FAILED lateness = FAILED tick − (send + deadline). Sustained = ≥ 95% of the target rate, 0 lost, DELIVERED p99 < 500 ms.
- **Design:** MySQL first (message + outbox row in one statement, 202), the API's own dispatch to Kafka \`messages\` with the outbox relay workflow as backstop, status reports applied in MySQL by conditional updates in batches and ticked from the consumer; Temporal holds only the deadlines ([message-status.md](message-status.md)).

| deadline design | target msg/s | sent | delivered / failed / lost | lifecycles/s | SENT tick p50 / p99 ms | DELIVERED tick p50 / p99 ms | FAILED late p50 / max ms | sustained |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Where the time goes (p50 / p99 ms per stage, from the timestamps on each message row: accepted = send request → commit; dispatch = commit → on Kafka \`messages\`; channel = → the connector's SENT; tick = SENT → on the member's socket) and the CPU each process used while sending (share of one core):

| deadline design | target msg/s | accepted | dispatch | channel | tick | CPU while sending |
|---|---|---|---|---|---|---|
${stageRows.join('\n')}

| deadline design | messages | workflow tasks (from the server's histories) | per message | best sustained |
|---|---|---|---|---|
${costRows.join('\n')}

Dev server ceiling in the same run: **${ceiling.perSecond.toFixed(0)} empty workflows/s** (64 in flight).

**Against the targets** (${main.mode}) — ≥ 300 lifecycles/s sustained with DELIVERED p99 < 500 ms and 0 lost: ${at300 ? `${at300.perSecond.toFixed(0)}/s, p99 ${fmt(at300.deliveredP99)} ms, ${at300.lost} lost — ${verdict(sustained(at300) && at300.perSecond >= 300 * 0.95)}` : 'rate 300 not run'}${best ? ` (best sustained ${best.perSecond.toFixed(0)}/s at ${best.rate}/s)` : ''}; ≤ 0.5 workflow tasks per message: ${(main.tasks / main.messages).toFixed(4)} — ${verdict(main.tasks / main.messages <= 0.5)}.
- ≥ 600 lifecycles/s with DELIVERED p99 < 500 ms and 0 lost on \`npm start\`'s one-process layout (\`BENCH_PROCESSES=all\`), in three runs in a row: ${at600 ? `this run at ${at600.rate}/s offered: ${at600.perSecond.toFixed(1)} lifecycles/s, p99 ${fmt(at600.deliveredP99)} ms, ${at600.lost} lost${oneProcess ? '' : ' (not the one-process layout)'} — ${verdict(oneProcess && reaches600(at600))} for this run` : 'no rate of 600/s or more run'}

**The design it replaces** (one \`message\` workflow per message, signal-with-start per status, measured 2026-11-23 on this machine with 20 conversations): 9.7 lifecycles/s at 10/s (DELIVERED p99 542 ms), 16.8/s at 25/s (p99 9.4 s), 14.4/s at 50/s (p99 27 s), 8.6/s at 100/s with 612 of 999 never delivered in the window; three workflow tasks per message.

Everything (Kafka, Temporal, MariaDB, Redis, moto, the system and the load generator) shares the two cores.`,
);
log('results written to docs/benchmarks.md');
process.exit(0);
