// Chat benchmark: members subscribed to their conversations on the gateway; messages sent through
// the API at rising rates; each goes API → Kafka `messages` → connector simulators → `msg.status` →
// consumer → workflow `message` → MySQL + `conversation:{id}`. Reports lifecycles/s and the time from
// the send to the SENT and DELIVERED ticks on the WebSocket. Run with `npm run bench:messages`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WebSocket } from 'ws';
import { signToken } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';
import { machine, percentile, writeSection } from '../lib/report';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const RATES = (process.env.BENCH_RATES ?? '10,25,50,100').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONVERSATIONS = 20;
const API = 'http://127.0.0.1:4401';
const env = {
  ...process.env,
  LOG_LEVEL: 'warn',
  API_PORT: '4401',
  GATEWAY_PORT: '4402',
  TEMPORAL_TASK_QUEUE: `bench-messages-${Date.now()}`,
  SELF_CHECK_ON_START: 'false',
  LEDGER_RELAY_ON_START: 'false',
  API_RATE_LIMIT_PER_USER: '100000000',
  API_RATE_LIMIT_PER_IP: '100000000',
  SIM_SENT_DELAY_MS: '0',
  SIM_DELIVERED_DELAY_MS: '0',
  MESSAGE_READ_WAIT_MS: '10000',
  // Fresh groups that start at the end of each topic: earlier runs' records are not replayed.
  KAFKA_GROUP_PREFIX: `bench-${Date.now()}`,
  KAFKA_NEW_GROUP_FROM: 'latest',
};
const config = loadConfig(env);
const log = (m: string) => process.stdout.write(`[bench:messages] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const system = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
for (let i = 0; ; i++) {
  try {
    await fetch(`${API}/health`);
    break;
  } catch {
    if (i > 300) throw new Error('system did not start');
    await sleep(200);
  }
}
await sleep(5_000); // consumers join their groups

const stamp = Date.now();
const sender = `bench-sender-${stamp}`;
const senderToken = await signToken(config, sender, { ttlSeconds: 7200 });
const sentAt = new Map<string, number>();
const ticks = { SENT: [] as number[], DELIVERED: [] as number[] };
let delivered = 0;
const conversations: string[] = [];
const sockets: WebSocket[] = [];
for (let i = 0; i < CONVERSATIONS; i++) {
  const reader = `bench-reader-${stamp}-${i}`;
  const res = await fetch(`${API}/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${senderToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ organizationId: 'bench-org', channel: i % 2 ? 'instagram' : 'whatsapp', members: [reader] }),
  });
  const { conversationId } = (await res.json()) as { conversationId: string };
  conversations.push(conversationId);
  const ws = new WebSocket(`ws://127.0.0.1:4402/ws`, { headers: { authorization: `Bearer ${await signToken(config, reader, { ttlSeconds: 7200 })}` } });
  sockets.push(ws);
  await new Promise<void>((resolve) => {
    ws.on('message', (raw) => {
      const f = JSON.parse(raw.toString()) as { type: string; channel?: string; event?: string; data?: { messageId: string; status: 'SENT' | 'DELIVERED' } };
      if (f.type === 'subscribed' && f.channel === `conversation:${conversationId}`) resolve();
      if (f.type === 'welcome') ws.send(JSON.stringify({ type: 'subscribe', channel: `conversation:${conversationId}` }));
      if (f.event !== 'message.status' || !f.data) return;
      const t0 = sentAt.get(f.data.messageId);
      if (t0 === undefined || !(f.data.status in ticks)) return;
      ticks[f.data.status].push(performance.now() - t0);
      if (f.data.status === 'DELIVERED') delivered++;
    });
  });
}
log(`${CONVERSATIONS} conversations, one subscribed member each`);

interface Step {
  rate: number;
  sent: number;
  delivered: number;
  perSecond: number;
  sentP50: number;
  sentP99: number;
  deliveredP50: number;
  deliveredP99: number;
}
const steps: Step[] = [];
let n = 0;
for (const rate of RATES) {
  ticks.SENT.length = 0;
  ticks.DELIVERED.length = 0;
  delivered = 0;
  let sent = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  while (performance.now() - started < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due) {
      const i = n++;
      sent++;
      const t0 = performance.now();
      inFlight.push(
        fetch(`${API}/conversations/${conversations[i % CONVERSATIONS]}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${senderToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ clientMessageId: `b${i}`, text: `message ${i}` }),
        })
          .then((r) => r.json() as Promise<{ messageId: string }>)
          .then(({ messageId }) => void sentAt.set(messageId, t0)),
      );
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
  const sendSeconds = (performance.now() - started) / 1000;
  for (let i = 0; i < 120 && delivered < sent; i++) await sleep(250);
  const elapsed = (performance.now() - started) / 1000;
  const s = [...ticks.SENT].sort((a, b) => a - b);
  const d = [...ticks.DELIVERED].sort((a, b) => a - b);
  const step = {
    rate,
    sent,
    delivered,
    perSecond: delivered / Math.max(elapsed, sendSeconds),
    sentP50: percentile(s, 50),
    sentP99: percentile(s, 99),
    deliveredP50: percentile(d, 50),
    deliveredP99: percentile(d, 99),
  };
  steps.push(step);
  log(
    `${rate}/s: ${delivered}/${sent} delivered, ${step.perSecond.toFixed(1)} lifecycles/s, DELIVERED tick p50 ${step.deliveredP50.toFixed(0)} ms p99 ${step.deliveredP99.toFixed(0)} ms`,
  );
  if (delivered < sent) break; // past saturation
}
for (const ws of sockets) ws.terminate();
system.kill('SIGTERM');
await new Promise((r) => system.once('exit', r));

const rows = steps.map(
  (s) =>
    `| ${s.rate} | ${s.sent} | ${s.delivered} | ${s.perSecond.toFixed(1)} | ${s.sentP50.toFixed(0)} / ${s.sentP99.toFixed(0)} | ${s.deliveredP50.toFixed(0)} / ${s.deliveredP99.toFixed(0)} |`,
);
writeSection(
  'messages',
  `## Chat message lifecycle: send → SENT and DELIVERED ticks on the WebSocket

- **Date:** ${new Date().toISOString()}
- **Machine:** ${machine()}
- **Command:** \`BENCH_RATES=${RATES.join(',')} BENCH_SECONDS=${SECONDS} npm run bench:messages\`
- **Load:** ${CONVERSATIONS} conversations, each with one member subscribed to \`conversation:{id}\` on the gateway; messages sent through \`POST /conversations/:id/messages\` at each rate for ${SECONDS} s. The whole system in one process (\`main.ts\`, all roles, connector simulators with no artificial delay) on the Temporal dev server. Latency = from the send request to the tick arriving on the member's socket; a lifecycle counts when DELIVERED arrived.

| target msg/s | sent | delivered | lifecycles/s | SENT tick p50 / p99 ms | DELIVERED tick p50 / p99 ms |
|---|---|---|---|---|---|
${rows.join('\n')}

Each message costs a workflow start and two signal-with-starts (SENT, DELIVERED), i.e. three workflow tasks, on the dev server that shares the two cores with Kafka, moto, MariaDB, Redis and the system itself.`,
);
log('results written to docs/benchmarks.md');
process.exit(0);
