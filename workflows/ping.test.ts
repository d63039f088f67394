import { describe, expect, it } from 'vitest';
import type { PingActivities, ProbeResult } from '../activities/ping';
import { useTimeSkipping } from '../test/support/temporal';
import { ping, pingWorkflowId } from './ping';

// Time-skipping: the workflow's logic with stub activities; the real activities are covered by
// test/ping.e2e.test.ts against the real servers.
const probe = (server: ProbeResult['server']) => async (): Promise<ProbeResult> => ({ server, ok: true, ms: 1, detail: 'stub' });
const stubActivities: PingActivities = {
  probeKafka: probe('kafka'),
  probeSnsSqs: probe('sns-sqs'),
  probeRedis: probe('redis'),
  probeMysql: probe('mysql'),
};

describe('ping workflow (time-skipping test server)', () => {
  const ts = useTimeSkipping();

  const worker = (taskQueue: string) => ts.worker({ taskQueue, activities: stubActivities });

  it('sleeps 30 days durably and finishes in well under a second of wall time', async () => {
    const w = await worker('ts-sleep');
    const wallStart = Date.now();
    const skippedBefore = await ts.env.currentTimeMs();
    const result = await w.runUntil(
      ts.env.client.workflow.execute(ping, {
        taskQueue: 'ts-sleep',
        workflowId: pingWorkflowId('ts', 'thirty-days'),
        args: [{ pingId: 'thirty-days', delay: '30 days' }],
      }),
    );
    const wall = Date.now() - wallStart;
    const skipped = (await ts.env.currentTimeMs()) - skippedBefore;
    expect(result.ok).toBe(true);
    expect(result.probes.map((p) => p.server).sort()).toEqual(['kafka', 'mysql', 'redis', 'sns-sqs']);
    expect(skipped).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
    // Generous bound for a loaded 2-core CI box; the point is days of workflow time in moments.
    expect(wall).toBeLessThan(5_000);
  });

  it('a repeated ping id is rejected while the first run is open (id scheme makes starts idempotent)', async () => {
    const w = await worker('ts-dup');
    await w.runUntil(async () => {
      const opts = { taskQueue: 'ts-dup', workflowId: pingWorkflowId('ts', 'dup'), args: [{ pingId: 'dup', delay: '1 day' }] as const };
      const first = await ts.env.client.workflow.start(ping, { ...opts, args: [...opts.args] });
      await expect(ts.env.client.workflow.start(ping, { ...opts, args: [...opts.args] })).rejects.toThrow(/already started/i);
      await first.result();
    });
  });
});
