import { readdirSync, readFileSync } from 'node:fs';
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
