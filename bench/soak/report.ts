// The soak's report: printed at the end, and written to docs/reliability.md by `npm run soak`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  const lines = [
    '| journey | target/s | started | accepted | accepted/s over the load | unknown (gave up) | not started (too many in flight) |',
    '|---|---|---|---|---|---|---|',
  ];
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

/** The command that replays this run's schedule and load mix. */
export const replayCommand = (r: SoakResult): string =>
  `SOAK_SEED=${r.options.seed} SOAK_MINUTES=${r.options.minutes} SOAK_FAULTS=${r.options.faults} SOAK_RATES=${JOURNEYS.map((j) => `${j}=${r.options.rates[j]}`).join(',')} npm run soak`;

export function printReport(r: SoakResult): string {
  return [
    '',
    `── Soak ${r.ok ? 'PASSED' : 'FAILED'}: seed ${r.options.seed}, ${fmt(r.loadSeconds)} s of load, ${fmt(r.drainSeconds)} s for the last retries, settled in ${fmt(r.settleSeconds)} s ──`,
    `replay: ${replayCommand(r)}`,
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
    'purchases, time to their statuses:',
    ...r.purchaseTimings,
    '',
  ].join('\n');
}

/**
 * Writes this run's section of docs/reliability.md (between its markers; the rest of the page, the
 * hand-written findings, stays). A run with a command of its own (e.g. a 30-minute run) gets a
 * section of its own: `name` is its marker.
 */
export function writeReliabilityDoc(r: SoakResult, file: string, name = `${r.options.minutes}min`): void {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const md = [
    `## ${r.options.minutes}-minute run, ${when} UTC: ${r.ok ? 'every invariant held' : '**an invariant broke**'}`,
    '',
    `- **Command:** \`${r.options.command}\` (replay: \`${replayCommand(r)}\`)`,
    `- **Seed:** ${r.options.seed}; **load:** ${fmt(r.loadSeconds)} s, then ${fmt(r.drainSeconds)} s for the requests still retrying; **settled in:** ${fmt(r.settleSeconds)} s after that`,
    `- **Machine:** ${machine()}; load average at the end (the soak's own servers and roles included) ${os.loadavg()[0]!.toFixed(1)}`,
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
    '### What customers waited (purchases; not an invariant)',
    '',
    ...r.purchaseTimings,
  ].join('\n');
  const [start, end] = [`<!-- soak:${name}:start -->`, `<!-- soak:${name}:end -->`];
  const block = `${start}\n${md}\n${end}`;
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability: the soak\n';
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  writeFileSync(file, re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`);
}
