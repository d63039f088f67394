// The soak's own servers: Kafka, MariaDB, Redis, the Temporal dev server and moto (SNS/SQS), each on
// ports and data directories of its own under .data/soak/, because the soak kills them. The shared
// servers on the default ports are never touched.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createSns, createSqs } from '../../platform/clients/aws';
import { loadConfig, type Config } from '../../platform/config';
import { namesOf } from '../../platform/names';
import { ensureQueue, ensureTopic } from '../../provision/aws';
import { ROOT } from '../../test/support/context';
import { testKafkaBroker } from '../../test/support/kafka-broker';
import { testMotoServer } from '../../test/support/moto-server';
import { testMysqlServer } from '../../test/support/mysql-server';
import { testRedisServer } from '../../test/support/redis-server';
import { testTemporalServer } from '../../test/support/temporal-server';
import type { Part } from './parts';

export interface SoakServers {
  /** The variables that point a process of the app at these servers. */
  env: Record<string, string>;
  parts: Part[];
  /** Kills every server and removes its data. */
  destroy(): Promise<void>;
}

const DIR = 'soak';

export async function startSoakServers(tidingsEnv: string, log: (line: string) => void): Promise<SoakServers> {
  const given = loadConfig({ ...process.env, TIDINGS_ENV: tidingsEnv });
  mkdirSync(path.join(ROOT, '.data', DIR), { recursive: true });
  mkdirSync(path.join('/tmp', `tidings-${DIR}`), { recursive: true });
  const [kafka, mysql, redis, temporal, moto] = await Promise.all([
    testKafkaBroker(`${DIR}/kafka`),
    testMysqlServer(`${DIR}/mysql`, { user: given.MYSQL_USER, password: given.MYSQL_PASSWORD }),
    testRedisServer(`${DIR}/redis`),
    testTemporalServer(`${DIR}/run`),
    testMotoServer(),
  ]);
  const started = Date.now();
  await Promise.all([kafka.start(), mysql.start(), redis.start(), temporal.start(), moto.start()]);
  log(
    `servers up in ${((Date.now() - started) / 1000).toFixed(1)} s: kafka ${kafka.brokers}, mariadb :${mysql.port}, redis :${redis.port}, temporal ${temporal.address}, moto :${moto.port}`,
  );
  const env: Record<string, string> = {
    TIDINGS_ENV: tidingsEnv,
    KAFKA_BROKERS: kafka.brokers,
    MYSQL_PORT: String(mysql.port),
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    AWS_ENDPOINT: moto.endpoint,
  };
  // What every start runs (provision/cli.ts), against these servers.
  const { MYSQL_DATABASE: _named, TEMPORAL_TASK_QUEUE: _queue, ...inherited } = process.env;
  execFileSync(process.execPath, ['--import', 'tsx', 'provision/cli.ts'], { cwd: ROOT, env: { ...inherited, ...env, LOG_LEVEL: 'warn' }, stdio: 'inherit' });
  const config: Config = loadConfig({ ...process.env, ...env, MYSQL_DATABASE: undefined });

  const parts: Part[] = [
    { name: 'kafka', kind: 'server', kill: () => kafka.kill(), start: () => kafka.start(), pid: () => kafka.pid() },
    { name: 'mysql', kind: 'server', kill: () => mysql.kill(), start: () => mysql.start(), pid: () => mysql.pid() },
    { name: 'redis', kind: 'server', kill: () => redis.kill(), start: () => redis.start(), pid: () => redis.pid() },
    { name: 'temporal', kind: 'server', kill: () => temporal.kill(), start: () => temporal.start(), pid: () => temporal.pid() },
    {
      name: 'moto',
      kind: 'server',
      kill: () => moto.kill(),
      // moto comes back empty: the topics, queues and subscriptions are provisioned again, as the
      // start of any process would (provision/cli.ts is idempotent).
      start: async () => {
        await moto.start();
        await provisionAws(config);
      },
      pid: () => moto.pid(),
    },
  ];
  return {
    env,
    parts,
    async destroy() {
      await Promise.allSettled([kafka.destroy(), mysql.destroy(), redis.destroy(), temporal.destroy(), moto.destroy()]);
    },
  };
}

async function provisionAws(config: Config): Promise<void> {
  const names = namesOf(config);
  const sns = createSns(config);
  const sqs = createSqs(config);
  try {
    for (const topic of Object.values(names.snsTopics)) await ensureTopic(sns, sqs, config, topic);
    for (const queue of Object.values(names.queues)) await ensureQueue(sqs, config, queue);
  } finally {
    sns.destroy();
    sqs.destroy();
  }
}
