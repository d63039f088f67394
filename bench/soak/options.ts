// What a soak run does, from the environment: its seed (printed; SOAK_SEED= replays the same fault
// schedule and load mix), its length, its faults and its load per journey.

export const JOURNEYS = ['purchases', 'events', 'messages', 'ledger', 'notifications'] as const;
export type Journey = (typeof JOURNEYS)[number];

export interface SoakOptions {
  seed: number;
  minutes: number;
  /** How many faults the schedule holds (kills, pauses; a double fault counts two). */
  faults: number;
  /** Operations started per second, per journey (each may cost several requests: cancel, read, reschedule). */
  rates: Record<Journey, number>;
  /** How long the system may take to settle after the load stops. */
  settleSeconds: number;
  /** Where docs/reliability.md is written (undefined: not written; the test run writes nothing). */
  docsPath?: string;
  /** The command line, for the report. */
  command: string;
}

/** The default load: what this 2-core machine carries beside its servers and the faults. */
export const DEFAULT_RATES: Record<Journey, number> = { purchases: 4, events: 4, messages: 20, ledger: 40, notifications: 10 };

function num(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: a number >= 0, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * SOAK_SEED (default: random), SOAK_MINUTES (10), SOAK_FAULTS (a count) or SOAK_FAULT_RATE (per
 * minute, default 1.5), SOAK_RATE (a factor on every journey's default rate, 1) or SOAK_RATES
 * (`purchases=4,ledger=40,…`, per journey), SOAK_SETTLE_SECONDS (240).
 */
export function soakOptions(env: Record<string, string | undefined> = process.env, command = 'npm run soak'): SoakOptions {
  const minutes = num(env, 'SOAK_MINUTES', 10);
  const factor = num(env, 'SOAK_RATE', 1);
  const rates = Object.fromEntries(JOURNEYS.map((j) => [j, DEFAULT_RATES[j] * factor])) as Record<Journey, number>;
  for (const part of (env.SOAK_RATES ?? '').split(',').filter(Boolean)) {
    const [name, value] = part.split('=');
    if (!JOURNEYS.includes(name as Journey) || !Number.isFinite(Number(value)))
      throw new Error(`SOAK_RATES: "${part}" is not <journey>=<per second> (${JOURNEYS.join(', ')})`);
    rates[name as Journey] = Number(value);
  }
  return {
    seed: env.SOAK_SEED ? num(env, 'SOAK_SEED', 0) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0,
    minutes,
    faults: env.SOAK_FAULTS ? Math.round(num(env, 'SOAK_FAULTS', 0)) : Math.round(num(env, 'SOAK_FAULT_RATE', 1.5) * minutes),
    rates,
    settleSeconds: num(env, 'SOAK_SETTLE_SECONDS', 240),
    docsPath: env.SOAK_DOCS === '0' ? undefined : env.SOAK_DOCS,
    command,
  };
}
