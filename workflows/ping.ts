import type { Duration } from '@temporalio/common';
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { PingActivities, ProbeResult } from '../activities/ping';

/** Input of the ping workflow; `delay` sleeps (durably) before probing. */
export interface PingInput {
  pingId: string;
  delay?: Duration;
}

/** What one ping proved: every server answered, with each probe's latency. */
export interface PingResult {
  pingId: string;
  ok: boolean;
  probes: ProbeResult[];
}

/** Ping runs are idempotent per ping id. */
export const pingWorkflowId = (env: string, pingId: string): string => `${env}.ping-${pingId}`;

const probes = proxyActivities<PingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 ms', maximumAttempts: 3 },
});

/** Touches every server the system runs on through the worker's activities. */
export async function ping({ pingId, delay }: PingInput): Promise<PingResult> {
  if (delay !== undefined) await sleep(delay);
  const results = await Promise.all([
    probes.probeKafka(pingId),
    probes.probeSnsSqs(pingId),
    probes.probeRedis(pingId),
    probes.probeMysql(pingId),
  ]);
  return { pingId, ok: results.every((r) => r.ok), probes: results };
}
