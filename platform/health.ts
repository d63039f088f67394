import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Connection } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { Config } from './config';

/** The clients readiness looks at (the process context has them; tests may hand in their own). */
export interface DependencyClients {
  config: Pick<Config, 'READY_CHECK_TIMEOUT_MS'>;
  temporalConnection(): Promise<Connection>;
  kafka(): Kafka;
  sqs(): SQSClient;
  redis(): Redis;
  mysql(): Pool;
}
import { withTimeout } from './errors';

/** One dependency check: resolves when the dependency answers, rejects with the reason otherwise. */
export type Check = () => Promise<unknown>;

export interface CheckOutcome {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  failed: string[];
  checks: Record<string, CheckOutcome>;
}

/** Runs every check in parallel, each bounded by `timeoutMs`; never throws. */
export async function checkReadiness(checks: Record<string, Check>, timeoutMs: number): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckOutcome]> => {
      const started = performance.now();
      try {
        await withTimeout(name, timeoutMs, check());
        return [name, { ok: true, ms: Math.round(performance.now() - started) }];
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        return [name, { ok: false, ms: Math.round(performance.now() - started), error }];
      }
    }),
  );
  const failed = entries.filter(([, o]) => !o.ok).map(([n]) => n);
  return { ready: failed.length === 0, failed, checks: Object.fromEntries(entries) };
}

/**
 * A check per server. Each asks the server itself (not a client's cached state), and the Kafka one
 * opens a fresh short-lived connection, so a server that comes back is seen as up at the next call.
 */
export function dependencyChecks(ctx: DependencyClients): Record<string, Check> {
  return {
    temporal: async () => {
      const connection = await ctx.temporalConnection();
      await connection.withDeadline(Date.now() + ctx.config.READY_CHECK_TIMEOUT_MS, () => connection.healthService.check({}));
    },
    kafka: async () => {
      const admin = ctx.kafka().admin({ retry: { retries: 0 } });
      await admin.connect();
      try {
        await admin.describeCluster();
      } finally {
        await admin.disconnect();
      }
    },
    'sns-sqs': () => ctx.sqs().send(new ListQueuesCommand({ MaxResults: 1 })),
    redis: () => ctx.redis().ping(),
    mysql: () => ctx.mysql().query('SELECT 1'),
  };
}
