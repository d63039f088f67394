import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/context';

// The README's "How the parts fit" table is the map of the tree: a folder added without a row, or a
// row left behind by a folder that moved, fails here.
const IGNORED = new Set(['node_modules', 'dist', 'coverage']); // git-ignored build output and installs

function layoutSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## How the parts fit');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThanOrEqual(0);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("README's layout section", () => {
  const named = [...layoutSection().matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? '');
  const folders = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !IGNORED.has(d.name))
    .map((d) => `${d.name}/`);

  it('has a row for every top-level folder', () => {
    expect(folders.filter((f) => !named.includes(f))).toEqual([]);
  });

  it('names only folders and files that exist', () => {
    const all = new Set([...folders, ...readdirSync(ROOT)]);
    expect(named.filter((n) => !all.has(n))).toEqual([]);
  });
});

// The journeys' file tables (README "Each journey, file by file", and the purchase journey's own in
// docs/purchase-journey.md): a file renamed or moved without its row fails here.
function sectionOf(file: string, heading: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const start = text.indexOf(heading);
  expect(start, `${file} has "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.slice(0, heading.indexOf(' ') + 1);
  const end = text.indexOf(`\n${level}`, start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}
const pathsIn = (section: string) => [...section.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\.(?:ts|md))`/g)].map((m) => m[1] ?? '');

describe("the journeys' file tables", () => {
  const tables = [
    { file: 'README.md', heading: '### Each journey, file by file' },
    { file: 'docs/purchase-journey.md', heading: '## In request order' },
  ];

  it.each(tables)('$file "$heading" names only files that exist', ({ file, heading }) => {
    const named = pathsIn(sectionOf(file, heading));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });

  it('has a table for every journey', () => {
    const section = sectionOf('README.md', '### Each journey, file by file');
    for (const journey of ['Purchase', 'Event fan-out', 'Chat ticks', 'Ledger', 'Notifications']) expect(section).toContain(`**${journey}**`);
  });
});
