import { readdirSync, readFileSync } from 'node:fs';

// CPU time of every process on the machine, grouped by what it is, read from /proc before and
// after a measured window: on two shared cores, which process a design makes busy says more than
// its throughput alone (the load generator, the servers and the brokers all compete for them).

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds used so far, per process group. */
export type CpuSnapshot = Map<string, number>;

/** What a process is, from its command line and (for Tidings' own processes) its roles. */
function groupOf(pid: string, cmdline: string): string | undefined {
  if (/mariadbd|mysqld/.test(cmdline)) return 'MariaDB';
  if (/redis-server/.test(cmdline)) return 'Redis';
  if (/kafka\.Kafka|kafka-server/.test(cmdline)) return 'Kafka';
  if (/moto/.test(cmdline)) return 'SNS/SQS (moto)';
  if (/temporal-server|temporal(\s|\0)server(\s|\0)start-dev/.test(cmdline)) return 'Temporal server';
  if (/centrifugo/.test(cmdline)) return 'Centrifugo';
  if (/postgres/.test(cmdline)) return 'PostgreSQL';
  if (/jaeger/.test(cmdline)) return 'Jaeger';
  if (!/node/.test(cmdline)) return undefined;
  const script = cmdline.match(/bench\/[\w/-]+\.ts|main\.ts|vitest/)?.[0];
  if (!script) return undefined;
  if (script === 'main.ts') {
    let roles = 'all';
    try {
      roles = readFileSync(`/proc/${pid}/environ`, 'utf8').match(/(?:^|\0)TIDINGS_ROLES=([^\0]*)/)?.[1] ?? 'all';
    } catch {
      // Gone, or not ours to read: counted under its script alone.
    }
    return `main.ts (${roles})`;
  }
  return script;
}

/** Reads every process's CPU time (user + system, children waited for included) by group. */
export function cpuSnapshot(): CpuSnapshot {
  const byGroup: CpuSnapshot = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const group = groupOf(pid, cmdline);
      if (!group) continue;
      // Fields after the command name (which may hold spaces, inside parentheses).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
      byGroup.set(group, (byGroup.get(group) ?? 0) + ticks / TICKS_PER_SECOND);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return byGroup;
}

/** CPU seconds each group used between two snapshots (a group that started in between counts from zero). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const used: CpuSnapshot = new Map();
  for (const [group, total] of after) used.set(group, Math.max(0, total - (before.get(group) ?? 0)));
  return used;
}

/** Shares of one core per group (1.0 = a whole core), largest first, as "API 81 %, MariaDB 12 %, …". */
export function formatShares(shares: [string, number][]): string {
  return shares
    .filter(([, share]) => share >= 0.005)
    .map(([group, share]) => `${group} ${(share * 100).toFixed(0)} %`)
    .join(', ');
}

/** What a window cost: CPU ms per item over every process, and each process's share of one core. */
export function cpuSummary(used: CpuSnapshot, items: number, seconds: number): { msPerItem: number; shares: string } {
  const byGroup = [...used].sort((a, b) => b[1] - a[1]);
  return {
    msPerItem: (byGroup.reduce((n, [, sec]) => n + sec, 0) * 1000) / Math.max(1, items),
    shares: formatShares(byGroup.map(([group, sec]): [string, number] => [group, sec / seconds])),
  };
}
