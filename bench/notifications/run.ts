// Notification benchmark: N web notifications all due within the same minute, one worker process.
// Reports delivery lateness (SENT recorded − sendAt) p50/p99 and delivery throughput, beside
// EventBridge Scheduler's default quota of 1,000 invocations/s. Run with `npm run bench:notifications`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { acceptNotification } from '../../api/notifications/accept';
import { loadConfig } from '../../platform/config';
import { createContext } from '../../platform/context';
import { createLogger } from '../../platform/logger';
import { savePreferences } from '../../stores/notifications';
import { machine, percentile, writeSection } from '../lib/report';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const N = Number(process.env.BENCH_NOTIFICATIONS ?? 10_000);
const USERS = 200;
const taskQueue = `bench-notify-${Date.now()}`;
const env = { ...process.env, LOG_LEVEL: 'warn', TIDINGS_ROLES: 'worker', TEMPORAL_TASK_QUEUE: taskQueue, SELF_CHECK_ON_START: 'false', LEDGER_RELAY_ON_START: 'false' };
const config = loadConfig(env);
const ctx = createContext(config, createLogger('warn'));
const log = (m: string) => process.stdout.write(`[bench:notifications] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stamp = Date.now();

const users = Array.from({ length: USERS }, (_, i) => `bench-notify-${stamp}-${i}`);
for (const u of users) await savePreferences(ctx.mysql(), u, { timezone: 'UTC', channels: ['web'], quietHours: null, mutedUntil: null });

// The worker runs while everything is scheduled (each run's first task — eligibility, then the
// durable sleep — happens then); all are due within the minute that starts at `due`.
const worker = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
const leadMs = Number(process.env.BENCH_LEAD_MS ?? 0);
log(`scheduling ${N} notifications`);
const scheduleStarted = Date.now();
const due = scheduleStarted + (leadMs || 30_000 + N * 12); // room to start them all
const ids: string[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < N) {
      const i = next++;
      const id = `bench-${stamp}-${i}`;
      ids.push(id);
      await acceptNotification(ctx, { notificationId: id, userId: users[i % USERS]!, channel: 'web', sendAt: new Date(due + Math.floor((i / N) * 60_000)).toISOString(), title: 'Due', body: `#${i}` }, 'api');
    }
  }),
);
const scheduleSeconds = (Date.now() - scheduleStarted) / 1000;
log(`scheduled in ${scheduleSeconds.toFixed(1)} s (${(N / scheduleSeconds).toFixed(0)}/s); first due in ${((due - Date.now()) / 1000).toFixed(0)} s`);
if (Date.now() > due) log('warning: scheduling overran the first send time; lateness includes it');

const deadline = due + 60_000 + 15 * 60_000;
let sent = 0;
while (Date.now() < deadline) {
  await sleep(2_000);
  const [rows] = await ctx.mysql().query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM notifications WHERE notification_id LIKE ? AND status = 'SENT'", [`bench-${stamp}-%`]);
  sent = Number(rows[0]!.n);
  if (sent >= N) break;
}
const exited = new Promise((r) => worker.once('exit', r));
worker.kill('SIGTERM');
await exited;

const [rows] = await ctx.mysql().query<RowDataPacket[]>(
  "SELECT TIMESTAMPDIFF(MICROSECOND, send_at, sent_at) / 1000 AS late, sent_at FROM notifications WHERE notification_id LIKE ? AND status = 'SENT'",
  [`bench-${stamp}-%`],
);
const late = rows.map((r) => Number(r.late)).sort((a, b) => a - b);
const sentTimes = rows.map((r) => (r.sent_at as Date).getTime()).sort((a, b) => a - b);
const spanSeconds = sentTimes.length > 1 ? (sentTimes[sentTimes.length - 1]! - sentTimes[0]!) / 1000 : 0;
const throughput = spanSeconds > 0 ? sentTimes.length / spanSeconds : 0;
const early = late.filter((l) => l < 0).length;
log(`${sent}/${N} sent; lateness p50 ${percentile(late, 50).toFixed(0)} ms, p99 ${percentile(late, 99).toFixed(0)} ms; ${throughput.toFixed(0)}/s`);
await ctx.lifecycle.close();

writeSection(
  'notifications',
  `## Scheduled notifications: ${N.toLocaleString('en')} due within one minute, one worker

- **Date:** ${new Date().toISOString()}
- **Machine:** ${machine()}
- **Command:** \`BENCH_NOTIFICATIONS=${N} npm run bench:notifications\`
- **Load:** ${N} \`web\` notifications for ${USERS} opted-in users, \`sendAt\` spread evenly over one minute; scheduled ahead (workflow \`notification\` started, eligibility checked, durable sleep) while one worker process runs; that worker (\`main.ts\`, role worker) on the Temporal CLI dev server delivers them: eligibility → publish to \`user:{id}\` through the gateway publisher → status SENT in MariaDB. Lateness = \`sent_at − send_at\` as stored (it includes the status write, so it is an upper bound on when the user's channel had the event).

| | |
|---|---|
| scheduled | ${N} in ${scheduleSeconds.toFixed(1)} s (${(N / scheduleSeconds).toFixed(0)} starts/s) |
| delivered | ${sent} of ${N}${early ? ` (${early} early!)` : ', none early'} |
| lateness p50 / p99 / max | ${percentile(late, 50).toFixed(0)} / ${percentile(late, 99).toFixed(0)} / ${(late[late.length - 1] ?? 0).toFixed(0)} ms |
| delivery throughput (first to last SENT) | ${throughput.toFixed(0)}/s over ${spanSeconds.toFixed(1)} s |
| EventBridge Scheduler, for scale | 1,000 invocations/s default quota (per account and region) |

**Against the target** — lateness p99 < 2 s: ${percentile(late, 99).toFixed(0)} ms — ${percentile(late, 99) < 2000 ? 'met' : '**not met**'}

One worker with default slots, the dev server (SQLite) and MariaDB share the two cores; each notification costs the server about two workflow tasks (its steps run as local activities).`,
);
log('results written to docs/benchmarks.md');
process.exit(0);
