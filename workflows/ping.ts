import type { Duration } from '@temporalio/common';
import { patched, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
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

const probeOptions = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '500 ms', maximumAttempts: 3 } } as const;
const probes = proxyActivities<PingActivities>(probeOptions);
const localProbes = proxyLocalActivities<PingActivities>(probeOptions);

/**
 * The probes became local activities: each is short, and as local activities a ping costs one
 * workflow task instead of one per probe. Runs that started (and may be sleeping for days) before the
 * change still schedule regular activities when they wake: `patched` is false while replaying their
 * history. Once no such run is left, this becomes `deprecatePatch(PING_LOCAL_PROBES)`, then goes.
 */
export const PING_LOCAL_PROBES = 'ping-local-probes';

/** Touches every server the system runs on through the worker's activities. */
export async function ping({ pingId, delay }: PingInput): Promise<PingResult> {
  if (delay !== undefined) await sleep(delay);
  const run = patched(PING_LOCAL_PROBES) ? localProbes : probes;
  const results = await Promise.all([run.probeKafka(pingId), run.probeSnsSqs(pingId), run.probeRedis(pingId), run.probeMysql(pingId)]);
  return { pingId, ok: results.every((r) => r.ok), probes: results };
}
