// Test-only: the ping workflow changed to local activities WITHOUT the patch guard, to show that
// the recorded histories catch such a change (test/versioning.test.ts).
import { proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { PingActivities } from '../../../activities/ping';
import type { PingInput, PingResult } from '../../../workflows/ping';

const probes = proxyLocalActivities<PingActivities>({ startToCloseTimeout: '30 seconds' });

export async function ping({ pingId, delay }: PingInput): Promise<PingResult> {
  if (delay !== undefined) await sleep(delay);
  const results = await Promise.all([probes.probeKafka(pingId), probes.probeSnsSqs(pingId), probes.probeRedis(pingId), probes.probeMysql(pingId)]);
  return { pingId, ok: results.every((r) => r.ok), probes: results };
}
