// `tsx provision/cli.ts`: provisions the configured servers and exits (run by scripts/start.sh
// and scripts/test.sh after the servers are up).
import { createSns, createSqs } from '../platform/clients/aws';
import { createKafka } from '../platform/clients/kafka';
import { createMysqlPool } from '../platform/clients/mysql';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { provisionAll } from './index';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL, { component: 'provision' });
const mysql = createMysqlPool(config, { connectionLimit: 2 });
const sns = createSns(config);
const sqs = createSqs(config);
const started = Date.now();
try {
  await provisionAll({ config, log, kafka: createKafka(config, log), sns, sqs, mysql });
  log.info({ ms: Date.now() - started }, 'provisioned');
} catch (err) {
  log.error({ err }, 'provisioning failed');
  process.exitCode = 1;
} finally {
  await mysql.end();
  sns.destroy();
  sqs.destroy();
}
