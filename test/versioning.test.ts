import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../worker';
import { ROOT } from './support/context';
import { workflowBundle } from '../runtime/workflow-bundle';

// The versioning path, once for real: `ping` moved its probes to local activities behind
// patched('ping-local-probes'). Histories recorded before the change (regular activities) replay
// against the patched code; the same change without the guard breaks them.
const dir = path.join(ROOT, 'test/histories/ping');
const oldPings = readdirSync(dir)
  .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { workflowId: string; eventTypes: string[]; proto: string })
  .filter((h) => h.eventTypes.includes('ACTIVITY_TASK_SCHEDULED'))
  .map((h) => ({ workflowId: h.workflowId, history: proto.temporal.api.history.v1.History.decode(Buffer.from(h.proto, 'base64')) }));

async function replay(workflowsPath: string) {
  const errors: string[] = [];
  const bundle = await workflowBundle({ workflowsPath });
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, oldPings)) if (r.error) errors.push(`${r.error.name}: ${r.error.message}`);
  return errors;
}

describe('changing a workflow safely (patched)', () => {
  it('has histories of pings recorded before the change', () => {
    expect(oldPings.length).toBeGreaterThan(0);
  });

  it('the patched workflow replays the old histories', async () => {
    expect(await replay(WORKFLOWS_PATH)).toEqual([]);
  }, 60_000);

  it('the same change without patched() fails on them with a determinism error', async () => {
    const errors = await replay(path.join(ROOT, 'test/support/versioning/ping-unpatched.ts'));
    expect(errors).toHaveLength(oldPings.length);
    for (const e of errors) expect(e).toMatch(/DeterminismViolation|Nondeterminism|nondeterminism/i);
  }, 60_000);
});

// The second patch: the ledger relay starts each day close as a child workflow (before: its
// activity did). Both kinds of relay history are kept, and test/replay.test.ts replays them all.
describe('the relay before and after patched(DAY_CLOSE_AS_CHILD)', () => {
  const relays = readdirSync(path.join(ROOT, 'test/histories/outboxRelay')).map(
    (f) => JSON.parse(readFileSync(path.join(ROOT, 'test/histories/outboxRelay', f), 'utf8')) as { eventTypes: string[] },
  );

  it('has a relay history from before the patch: day closes started by the activity, no marker, no child', () => {
    expect(relays.some((h) => !h.eventTypes.includes('MARKER_RECORDED') && !h.eventTypes.includes('START_CHILD_WORKFLOW_EXECUTION_INITIATED'))).toBe(true);
  });

  it('has one from after it: the marker, then day closes started as children', () => {
    expect(relays.some((h) => h.eventTypes.includes('MARKER_RECORDED') && h.eventTypes.includes('START_CHILD_WORKFLOW_EXECUTION_INITIATED'))).toBe(true);
  });
});
