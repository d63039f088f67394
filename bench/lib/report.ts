import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BENCHMARKS_MD = path.join(ROOT, 'docs/benchmarks.md');

/** The machine a benchmark ran on, for its report. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  let redis = '';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? '';
  } catch {
    redis = 'unknown';
  }
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, Redis ${redis}`;
}

/** Percentile of a sorted array (nearest rank). */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** On the cluster profile (TIDINGS_PROFILE=cluster): its own section, titled and commanded as such. */
function forProfile(name: string, markdown: string): { name: string; markdown: string } {
  if (process.env.TIDINGS_PROFILE !== 'cluster') return { name, markdown };
  return {
    name: `${name}-cluster`,
    markdown: markdown
      .replace(/^## (.*)$/m, '## $1 — cluster profile (temporal-server 1.32 on PostgreSQL)')
      .replace(/[Dd]ev server ceiling/g, 'temporal-server ceiling')
      .replace(/the Temporal CLI dev server \(SQLite\)/g, "the cluster profile's temporal-server (PostgreSQL, 4 history shards)")
      .replace('**Command:** `', '**Command:** `TIDINGS_PROFILE=cluster '),
  };
}

/** Replaces (or appends) one benchmark's section of docs/benchmarks.md, between markers. */
export function writeSection(section: string, text: string): void {
  const { name, markdown } = forProfile(section, text);
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let doc = existsSync(BENCHMARKS_MD)
    ? readFileSync(BENCHMARKS_MD, 'utf8')
    : '# Benchmarks\n\nEach section is written by its benchmark under `bench/`; rerun the command to refresh it. Figures come from the machine named in the section, on loopback, with every server local.\n';
  // One start and one end marker, in order, or none: a lost end marker would otherwise let the
  // replacement swallow every section up to the next end of the same name.
  const starts = doc.split(start).length - 1;
  const ends = doc.split(end).length - 1;
  if (starts !== ends || starts > 1 || (starts === 1 && doc.indexOf(start) > doc.indexOf(end))) {
    process.stderr.write(`${block}\n`); // the results, not lost with the document
    throw new Error(`${BENCHMARKS_MD}: the ${name} section's markers are broken (${starts} start, ${ends} end); fix them by hand`);
  }
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  doc = re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(BENCHMARKS_MD, doc);
}
