// `tsx provision/cli.ts [--teardown | --prune]`: provisions the configured environment
// (TIDINGS_ENV) on the servers and exits (run by scripts/start.sh, scripts/test.sh and
// scripts/bench.sh after the servers are up).
//   --teardown  removes the environment instead (only a test-* or bench-* one unless --force);
//   --prune     removes test-*/bench-* environments left by runs that died (older than 6 hours).
import { createSns, createSqs } from '../platform/clients/aws';
import { createKafka } from '../platform/clients/kafka';
import { createMysqlPool } from '../platform/clients/mysql';
import { closeRedis, createRedis } from '../platform/clients/redis';
import { connectTemporal, createTemporalClient } from '../platform/clients/temporal';
import { databaseFor, loadConfig, type Config } from '../platform/config';
import { createLogger } from '../platform/logger';
import { ephemeralEnvAge } from '../platform/names';
import { ensureDatabase, listDatabases } from './database';
import { provisionAll } from './index';
import { ensureSearchAttributes } from './temporal';
import { teardownEnvironment } from './teardown';

const args = new Set(process.argv.slice(2));
const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, { component: 'provision' });
const started = Date.now();

async function provision(): Promise<void> {
  await ensureDatabase(config);
  const mysql = createMysqlPool(config, { connectionLimit: 2 });
  const sns = createSns(config);
  const sqs = createSqs(config);
  try {
    await provisionAll({ config, log, kafka: createKafka(config, log), sns, sqs, mysql });
    const connection = await connectTemporal(config);
    try {
      const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
      log.info({ added }, added.length ? 'temporal: search attributes added' : 'temporal: search attributes present');
    } finally {
      await connection.close();
    }
    log.info({ env: config.TIDINGS_ENV, ms: Date.now() - started }, 'provisioned');
  } finally {
    await mysql.end();
    sns.destroy();
    sqs.destroy();
  }
}

async function teardown(envs: Config[]): Promise<void> {
  const sns = createSns(config);
  const sqs = createSqs(config);
  const redis = createRedis(config, log, 'tidings-teardown', { keyPrefix: '' });
  const connection = await connectTemporal(config);
  try {
    for (const env of envs) {
      await teardownEnvironment({ config: env, log, kafka: createKafka(env, log), sns, sqs, redis, temporal: createTemporalClient(env, connection) });
    }
  } finally {
    sns.destroy();
    sqs.destroy();
    await closeRedis(redis);
    await connection.close();
  }
}

/** Environments of test runs and benchmarks older than `maxAgeMs`, found by their databases. */
async function staleEnvironments(maxAgeMs: number): Promise<Config[]> {
  const stale: Config[] = [];
  for (const prefix of ['test', 'bench']) {
    for (const database of await listDatabases(config, databaseFor(`${prefix}-`))) {
      const env = database.slice('tidings_'.length).replace(/_/g, '-');
      const age = ephemeralEnvAge(env);
      if (age !== undefined && age > maxAgeMs)
        stale.push(loadConfig({ ...process.env, TIDINGS_ENV: env, MYSQL_DATABASE: database, TEMPORAL_TASK_QUEUE: undefined }));
    }
  }
  return stale;
}

try {
  if (args.has('--teardown')) {
    if (ephemeralEnvAge(config.TIDINGS_ENV) === undefined && !args.has('--force')) {
      throw new Error(`refusing to remove environment '${config.TIDINGS_ENV}': only test-*/bench-* environments are removed without --force`);
    }
    await teardown([config]);
  } else if (args.has('--prune')) {
    const stale = await staleEnvironments(6 * 3600_000);
    if (stale.length) await teardown(stale);
    log.info({ removed: stale.map((c) => c.TIDINGS_ENV) }, 'stale test/bench environments pruned');
  } else {
    await provision();
  }
} catch (err) {
  log.error({ err, env: config.TIDINGS_ENV }, 'provisioning failed');
  process.exitCode = 1;
}
