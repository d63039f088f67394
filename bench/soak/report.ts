// The soak's report: printed at the end, and written to docs/reliability.md by `npm run soak`.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { machine } from '../lib/report';
import { JOURNEYS } from './options';
import { SERVERS, ROLES } from './parts';
import type { SoakResult } from './soak';

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function faultTable(r: SoakResult): string[] {
  const lines = ['| part | kills | pauses | outage min / median / max (s) |', '|---|---|---|---|'];
  for (const name of [...SERVERS, ...ROLES]) {
    const own = r.outcomes.filter((o) => o.target === name);
    const outages = own.map((o) => o.outage).sort((a, b) => a - b);
    const stat = outages.length ? `${fmt(outages[0]!)} / ${fmt(outages[Math.floor(outages.length / 2)]!)} / ${fmt(outages.at(-1)!)}` : '—';
    lines.push(`| ${name} | ${own.filter((o) => o.action === 'kill').length} | ${own.filter((o) => o.action === 'pause').length} | ${stat} |`);
  }
  return lines;
}

function requestLines(r: SoakResult): string[] {
  const totals = r.http.totals();
  const count = (pred: (s: string) => boolean) => [...totals].filter(([s]) => pred(s)).reduce((n, [, v]) => n + v, 0);
  const lines = [
    `- attempts: ${count(() => true)}; answered 2xx ${count((s) => s.startsWith('2'))}, 4xx ${count((s) => s.startsWith('4'))}, 5xx ${count((s) => s.startsWith('5'))}, no answer (network) ${count((s) => s === 'network')}`,
    `- by status: ${[...totals]
      .sort()
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}`,
    `- requests retried (sent again with the same Idempotency-Key or ids): ${r.http.retried}; abandoned after 3 min of retries: ${r.http.gaveUp}`,
    '',
    '| route | answers by status |',
    '|---|---|',
  ];
  for (const [route, byStatus] of [...r.http.attempts].sort())
    lines.push(
      `| ${route} | ${[...byStatus]
        .sort()
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')} |`,
    );
  return lines;
}

function journeyLines(r: SoakResult): string[] {
  const a = r.accepted;
  const acceptedOf = {
    purchases: a.purchases.size,
    events: a.events.size,
    messages: a.messages.size,
    ledger: a.ledger.size,
    notifications: a.notifications.size,
  };
  const lines = ['| journey | target/s | started | accepted | achieved accepted/s | unknown (gave up) | not started (cap) |', '|---|---|---|---|---|---|---|'];
  for (const j of JOURNEYS)
    lines.push(
      `| ${j} | ${fmt(r.options.rates[j])} | ${r.load.started[j]} | ${acceptedOf[j]} | ${(acceptedOf[j] / r.loadSeconds).toFixed(1)} | ${r.load.unknown[j]} | ${r.load.shed[j]} |`,
    );
  lines.push(
    '',
    `Follow-ups: ${
      Object.entries(r.load.followUps)
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  return lines;
}

function checkLines(r: SoakResult): string[] {
  return r.checks.flatMap((c) => [`- ${c.ok ? 'held' : '**BROKEN**'} — ${c.name}: ${c.detail}`, ...c.examples.map((e) => `    - ${e}`)]);
}

export function printReport(r: SoakResult): string {
  return [
    '',
    `── Soak ${r.ok ? 'PASSED' : 'FAILED'}: seed ${r.options.seed}, ${fmt(r.loadSeconds)} s of load, settled in ${fmt(r.settleSeconds)} s ──`,
    `replay: SOAK_SEED=${r.options.seed} SOAK_MINUTES=${r.options.minutes} SOAK_FAULTS=${r.options.faults} npm run soak`,
    '',
    `faults (${r.outcomes.length}, ${r.outcomes.filter((o) => o.double).length} in doubles${r.outcomes.some((o) => o.error) ? `, ${r.outcomes.filter((o) => o.error).length} with errors` : ''}):`,
    ...faultTable(r),
    '',
    'requests:',
    ...requestLines(r),
    '',
    'journeys:',
    ...journeyLines(r),
    '',
    `role exits nobody asked for: ${r.crashes.length ? r.crashes.map((c) => `${c.role} (${c.how})`).join(', ') : 'none'}`,
    '',
    'invariants:',
    ...checkLines(r),
    '',
  ].join('\n');
}

export function writeReliabilityDoc(r: SoakResult, file: string): void {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const md = [
    '# Reliability: the soak',
    '',
    "`npm run soak` (`bench/soak/`) runs the whole system under a steady load on all five journeys while a schedule drawn from a seed kills (`kill -9`, then a restart) and pauses (`SIGSTOP`, then `SIGCONT`) its parts, then stops the load, lets the system settle and checks the invariants below from MySQL, the brokers, the gateway's channel history and Temporal. It runs on servers of its own (Kafka, MariaDB, Redis, the Temporal dev server and moto, on their own ports and data directories under `.data/soak/`), never the shared ones, and the app as separate processes, one per role (`api`, `worker`, `consumers`, `gateway`, `simulators`), restarted by a supervisor if one exits by itself (counted below). The load generator has a real client's retry rules: after a network error it sends the same request again (same `Idempotency-Key`, or the same client-chosen id); after a 503 or 429 it waits what `Retry-After` says. A short run (2 minutes, 4 faults) is part of `npm test` (`test/soak.e2e.test.ts`).",
    '',
    "Variables: `SOAK_SEED` (replays the fault schedule and the load mix; the interleaving with the machine's timing is not replayed), `SOAK_MINUTES` (10), `SOAK_FAULTS` or `SOAK_FAULT_RATE` (per minute, 1.5), `SOAK_RATE` (a factor on the default rates) or `SOAK_RATES` (`purchases=4,events=4,messages=20,ledger=40,notifications=10`, operations per second), `SOAK_SETTLE_SECONDS` (240). Deadlines are shortened so that every item ends within the settle (`bench/soak/roles.ts`: a purchase expires after 90 s without fulfillment, an event run ends INCOMPLETE after 2 min, a message FAILS 60 s after dispatch without DELIVERED, a past ledger day closes 20 s after its first entry). Redis keeps an append-only file (fsync every second), as a Redis holding the gateway's history would; moto keeps nothing, so after its restart the topics and queues are provisioned again and what was in them is gone (a purchase whose request was there expires; an event whose copy was there ends INCOMPLETE: both show below).",
    '',
    `## Last recorded run (${when} UTC): ${r.ok ? 'every invariant held' : '**an invariant broke**'}`,
    '',
    `- **Command:** \`SOAK_SEED=${r.options.seed} ${r.options.command.replace(/SOAK_SEED=\S+ /, '')}\``,
    `- **Seed:** ${r.options.seed}; **load:** ${fmt(r.loadSeconds)} s; **settled in:** ${fmt(r.settleSeconds)} s`,
    `- **Machine:** ${machine()}; shared with other work during the run (load average at the end ${os.loadavg()[0]!.toFixed(1)})`,
    '',
    `### Faults: ${r.outcomes.length} (${r.outcomes.filter((o) => o.double).length} as part of a double fault)`,
    '',
    ...faultTable(r),
    '',
    'Outage = from the kill (or SIGSTOP) until the part answered again, restart included. Schedule (seconds into the load):',
    '',
    r.outcomes.map((o) => `t+${o.at} ${o.action} ${o.target} (${fmt(o.outage)} s${o.double ? ', double' : ''}${o.error ? `, ${o.error}` : ''})`).join('; '),
    '',
    `Role exits nobody asked for (restarted by the supervisor): ${r.crashes.length ? r.crashes.map((c) => `${c.role} (${c.how})`).join(', ') : 'none'}.`,
    '',
    '### Requests',
    '',
    ...requestLines(r),
    '',
    '### Items per journey',
    '',
    ...journeyLines(r),
    '',
    '### Invariants',
    '',
    ...checkLines(r),
    '',
  ].join('\n');
  writeFileSync(file, md);
}
