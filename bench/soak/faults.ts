// The fault schedule, drawn from the seed: kill -9 and restart of every server and role, sometimes
// two at once, and SIGSTOP/SIGCONT pauses of a server; then carried out against the live parts,
// each outage timed from the kill (or stop) until the part answers again.
import { SERVERS, ROLES, type Part, type PartName } from './parts';
import type { Random } from './random';

export interface Fault {
  /** Seconds from the start of the load. */
  at: number;
  target: PartName;
  action: 'kill' | 'pause';
  /** How long it is held down (killed) or stopped (paused), in seconds. */
  hold: number;
  /** Part of a double fault (another part hit at the same moment). */
  double: boolean;
}

export interface FaultOutcome extends Fault {
  /** From the kill or SIGSTOP until it answered again (restart included), in seconds. */
  outage: number;
  error?: string;
}

const TARGETS: readonly PartName[] = [...SERVERS, ...ROLES];

/**
 * `count` faults within the load's middle (none in the first 10% nor the last 10%, at least 15 s
 * each end), every part hit in turn before any is hit twice (so a short run still reaches each),
 * a part never hit again while it is still down, about one in five a double.
 */
export function faultSchedule(random: Random, count: number, seconds: number): Fault[] {
  const from = Math.max(15, seconds * 0.1);
  const to = Math.max(from + 1, seconds - Math.max(15, seconds * 0.1));
  const busyUntil = new Map<PartName, number>();
  const faults: Fault[] = [];
  let bag: PartName[] = [];
  const draw = (at: number, not?: PartName): PartName | undefined => {
    if (bag.length === 0) bag = [...TARGETS];
    const free = bag.filter((t) => t !== not && (busyUntil.get(t) ?? 0) < at);
    if (free.length === 0) return undefined;
    const target = random.pick(free);
    bag = bag.filter((t) => t !== target);
    return target;
  };
  const times = Array.from({ length: count }, () => random.between(from, to)).sort((a, b) => a - b);
  for (let i = 0; i < times.length && faults.length < count; i++) {
    const at = Math.round(times[i]! * 10) / 10;
    const double = faults.length + 2 <= count && random.chance(0.2);
    const first = draw(at);
    if (!first) continue;
    const targets = [first];
    if (double) {
      const second = draw(at, first);
      if (second) targets.push(second);
    }
    for (const target of targets) {
      const pause = SERVERS.includes(target as (typeof SERVERS)[number]) && random.chance(0.3);
      const hold = Math.round((pause ? random.between(2, 6) : random.between(1, 12)) * 10) / 10;
      faults.push({ at, target, action: pause ? 'pause' : 'kill', hold, double: targets.length > 1 });
      // A restart takes a while (Kafka, Temporal: seconds to tens of seconds): room for it.
      busyUntil.set(target, at + hold + 30);
    }
    if (targets.length > 1) i++;
  }
  return faults;
}

/** Carries out the schedule from `start` (ms); resolves with every outcome once the last part is back. */
export async function runFaults(
  schedule: Fault[],
  parts: Part[],
  start: number,
  log: (line: string) => void,
  cancelled: () => boolean,
): Promise<FaultOutcome[]> {
  const byName = new Map(parts.map((p) => [p.name, p]));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
  return Promise.all(
    schedule.map(async (fault): Promise<FaultOutcome> => {
      await sleep(start + fault.at * 1000 - Date.now());
      const part = byName.get(fault.target)!;
      if (cancelled()) return { ...fault, outage: 0, error: 'not run: the soak stopped first' };
      const t0 = Date.now();
      const stamp = `[fault t+${((t0 - start) / 1000).toFixed(0)}s]`;
      try {
        if (fault.action === 'pause') {
          const pid = part.pid();
          if (pid === undefined) throw new Error(`${fault.target} is not running`);
          log(`${stamp} SIGSTOP ${fault.target} for ${fault.hold} s${fault.double ? ' (double)' : ''}`);
          process.kill(pid, 'SIGSTOP');
          await sleep(fault.hold * 1000);
          process.kill(pid, 'SIGCONT');
        } else {
          log(`${stamp} kill -9 ${fault.target}, restart in ${fault.hold} s${fault.double ? ' (double)' : ''}`);
          await part.kill();
          await sleep(fault.hold * 1000);
          await part.start();
        }
        const outage = (Date.now() - t0) / 1000;
        log(`${stamp} ${fault.target} back after ${outage.toFixed(1)} s`);
        return { ...fault, outage };
      } catch (err) {
        log(`${stamp} ${fault.target}: ${(err as Error).message}`);
        return { ...fault, outage: (Date.now() - t0) / 1000, error: (err as Error).message };
      }
    }),
  );
}
