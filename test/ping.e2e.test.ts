import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../runtime/context';
import { startWorker } from '../worker';
import { ping, pingWorkflowId } from '../workflows/ping';
import { testContext, uniqueId } from './support/context';

// The first proof across everything: the real worker, on the real dev server, runs activities that
// round-trip through Kafka, SNS -> SQS, Redis and MariaDB.
describe('ping across every real server', () => {
  let ctx: Context;
  beforeAll(async () => {
    ctx = testContext();
    await startWorker(ctx);
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });

  it('round-trips through Kafka, SNS/SQS, Redis and MySQL, and Temporal keeps the history', async () => {
    const pingId = uniqueId('ping');
    const client = await ctx.temporal();
    const handle = await client.workflow.start(ping, {
      taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
      workflowId: pingWorkflowId(ctx.config.TIDINGS_ENV, pingId),
      args: [{ pingId }],
    });
    const result = await handle.result();

    expect(result.ok).toBe(true);
    const byServer = Object.fromEntries(result.probes.map((p) => [p.server, p]));
    expect(Object.keys(byServer).sort()).toEqual(['kafka', 'mysql', 'redis', 'sns-sqs']);
    expect(byServer.kafka?.detail).toMatch(/^partition \d+ offset \d+$/);
    expect(byServer['sns-sqs']?.detail).toBe(`received from ${ctx.config.TIDINGS_ENV}-tidings-ping`);

    const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT nonce FROM ping_runs WHERE ping_id = ?', [pingId]);
    expect(rows).toHaveLength(1);
    expect(await ctx.redis().get(`tidings:ping:${pingId}`)).toBe(pingId);

    const history = await handle.fetchHistory();
    // New runs take the patched path: the probes are local activities (markers), no activity tasks.
    const events = history.events ?? [];
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    const markers = events.map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean);
    expect(markers.filter((m) => m === 'core_local_activity')).toHaveLength(4);
    expect(markers).toContain('core_patch');
    const described = await handle.describe();
    expect(described.status.name).toBe('COMPLETED');
  });
});
