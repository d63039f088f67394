import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../worker';
import { ROOT } from './support/context';

// Upgrade safety: real histories recorded from the dev server (npm run record:histories) replay
// against today's workflow code. A change that would break a run already in flight — a step
// added, removed or reordered without patched() — fails here, not in production.
const DIR = path.join(ROOT, 'test/histories');
const fixtures = readdirSync(DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(path.join(DIR, d.name)).map((f) => ({ type: d.name, file: path.join(DIR, d.name, f) })));

describe('replay of recorded histories', () => {
  it('covers every workflow type the worker registers', async () => {
    const registered = Object.keys(await import('../workflows/index'))
      .filter((t) => t !== 'emptyWorkflow')
      .sort();
    expect([...new Set(fixtures.map((f) => f.type))].sort()).toEqual(registered);
  });

  it('replays every recorded history without nondeterminism', async () => {
    const histories = fixtures.map(({ file }) => {
      const { workflowId, proto: bytes } = JSON.parse(readFileSync(file, 'utf8')) as { workflowId: string; proto: string };
      return { workflowId, history: proto.temporal.api.history.v1.History.decode(Buffer.from(bytes, 'base64')) };
    });
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, replayName: 'tidings-replay' }, histories)) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(fixtures.length);
  }, 120_000);
});
