import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_TRACING_MODULES } from '../worker';
import { ROOT } from './support/context';
import { workflowBundle } from '../runtime/workflow-bundle';

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

  const histories = () =>
    fixtures.map(({ file }) => {
      const { workflowId, proto: bytes } = JSON.parse(readFileSync(file, 'utf8')) as { workflowId: string; proto: string };
      return { workflowId, history: proto.temporal.api.history.v1.History.decode(Buffer.from(bytes, 'base64')) };
    });
  // The shared bundle of the worker's workflows (runtime/workflow-bundle.ts), with these
  // workflow interceptors compiled in.
  const replayAll = async (workflowInterceptorModules: string[] = []) => {
    const failures: string[] = [];
    let replayed = 0;
    const bundle = await workflowBundle({ workflowInterceptorModules });
    for await (const r of Worker.runReplayHistories({ replayName: 'tidings-replay', workflowBundle: bundle }, histories())) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    return { failures, replayed };
  };

  it('replays every recorded history without nondeterminism', async () => {
    const { failures, replayed } = await replayAll();
    expect(failures).toEqual([]);
    expect(replayed).toBe(fixtures.length);
  }, 120_000);

  // Runs started with tracing off (or before it existed) meet a worker with the OpenTelemetry
  // workflow interceptors after an upgrade: the SDK's flags keep them deterministic. The bundle
  // holds the interceptors the worker compiles in with tracing on (platform/tracing.test.ts checks
  // that it does); in replay nothing else of tracing runs, so the process's tracing stays off.
  it('replays every recorded history with the tracing interceptors on (docs/tracing.md)', async () => {
    const { failures, replayed } = await replayAll(WORKFLOW_TRACING_MODULES);
    expect(failures).toEqual([]);
    expect(replayed).toBe(fixtures.length);
  }, 120_000);
});
