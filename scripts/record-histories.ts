// `npm run record:histories`: records real workflow histories from the dev server as replay
// fixtures (test/histories/<type>/<variant>.json), for test/replay.test.ts. Run by
// scripts/record-histories.sh after the end-to-end suites have exercised every journey in the same
// environment (TIDINGS_ENV).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { loadConfig } from '../platform/config';
import { createContext } from '../runtime/context';
import { createLogger } from '../platform/logger';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const OUT = path.join(ROOT, 'test/histories');
/** Variants kept per workflow type (HISTORIES_PER_TYPE, 4): distinct shapes (sequence of event types), closed runs only. */
const PER_TYPE = Number(process.env.HISTORIES_PER_TYPE ?? 4);

const config = loadConfig();
const ctx = createContext(config, createLogger('warn'));
const client = await ctx.temporal();
const env = config.TIDINGS_ENV;

const byType = new Map<string, { workflowId: string; runId: string; shape: string }[]>();
for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${env}.' AND ExecutionStatus != 'Running'` })) {
  if (wf.type === 'emptyWorkflow') continue;
  const list = byType.get(wf.type) ?? [];
  if (list.length >= 50) continue;
  list.push({ workflowId: wf.workflowId, runId: wf.runId, shape: '' });
  byType.set(wf.type, list);
}
let written = 0;
for (const [type, runs] of byType) {
  const dir = path.join(OUT, type);
  mkdirSync(dir, { recursive: true });
  const shapes = new Set(readdirSync(dir).map((f) => f.replace(/\.json$/, '')));
  for (const run of runs) {
    if (shapes.size >= PER_TYPE) break;
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const shape = createHash('sha1')
      .update((history.events ?? []).map((e) => e.eventType).join(','))
      .digest('hex')
      .slice(0, 12);
    if (shapes.has(shape)) continue;
    shapes.add(shape);
    // The history as the server's protobuf bytes (what replay needs, exactly), with its event types
    // spelled out beside it for a reviewer.
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish()).toString('base64');
    const eventTypes = (history.events ?? []).map((e) => proto.temporal.api.enums.v1.EventType[Number(e.eventType)]?.replace('EVENT_TYPE_', ''));
    writeFileSync(
      path.join(dir, `${shape}.json`),
      `${JSON.stringify({ type, workflowId: run.workflowId, recordedAt: new Date().toISOString(), eventTypes, proto: bytes }, null, 1)}\n`,
    );
    written++;
  }
}
process.stdout.write(`[record] ${written} new histories under test/histories (${[...byType.keys()].sort().join(', ')})\n`);
await ctx.lifecycle.close();
process.exit(0);
