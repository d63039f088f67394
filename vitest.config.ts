import { defineConfig } from 'vitest/config';

/**
 * The `unit` project: tests that need no server. Domain rules, workflow code on the time-skipping
 * test server (a local binary each test file starts itself, .infra/venv/bin/temporal-test-server;
 * missing, those files fail saying so), replay of recorded histories, route handlers through
 * `app.request` with fakes of our own interfaces, and plumbing with fakes. No global setup, and
 * every server address points at a closed port, so a unit test that reaches for a real server
 * fails instead of passing on a machine where one happens to run. `npm run test:unit` runs it alone.
 *
 * Everything else is `integration`: it builds testContext(), talks to MySQL, Redis, Kafka, moto or
 * the Temporal dev server, provisions, or runs external tools (docker-compose); it keeps the global
 * setup (the run's own environment). A new test file is integration until it is listed here. The
 * browser tests (test/web*.test.ts) are integration tests too, in a project of their own, `web`:
 * they start the whole system, whose consumers share the run's queues, so scripts/test.sh runs them
 * after the rest (`--exclude` on the command line does not reach inline projects, `--project` does).
 */
export const UNIT_TESTS = [
  'activities/ledger-days.test.ts',
  'bench/lib/*.test.ts',
  'api/conversations/routes.test.ts',
  'api/events/routes.test.ts',
  'api/ledger/routes.test.ts',
  'api/middleware/body-limit.test.ts',
  'api/notifications/routes.test.ts',
  'api/openapi/document.test.ts',
  'api/ping/routes.test.ts',
  'api/products/routes.test.ts',
  'api/purchases/routes.test.ts',
  'consumers/purchases.test.ts',
  'api/traces/routes.test.ts',
  'contracts/*.test.ts',
  'domain/**/*.test.ts',
  'gateway/units.test.ts',
  'gateway/upgrade.test.ts',
  'platform/auth/jwt.test.ts',
  'platform/clients/kafka-partitioner.test.ts',
  'platform/clients/kafka-producer.test.ts',
  'platform/config.test.ts',
  'platform/db/transaction.test.ts',
  'platform/dependency-errors.test.ts',
  'platform/env-example.test.ts',
  'platform/http/ops.test.ts',
  'platform/logger.test.ts',
  'platform/ids.test.ts',
  'platform/in-order.test.ts',
  'platform/micro-batch.test.ts',
  'platform/tracing.test.ts',
  'runtime/up-block.test.ts',
  'services/bucket-arming.test.ts',
  'test/readme-layout.test.ts',
  'test/replay.test.ts',
  'test/versioning.test.ts',
  'test/support/temporal.test.ts',
  'workflows/event-fan-out.test.ts',
  'workflows/ledger.test.ts',
  'workflows/lint.test.ts',
  'workflows/message-timers.test.ts',
  'workflows/ping.test.ts',
  'workflows/purchase.test.ts',
  'workflows/purchase-relay.test.ts',
  'web/src/freshness.test.ts',
];

const WEB_TESTS = ['test/web*.test.ts'];
const EXCLUDE = ['node_modules/**', '.infra/**', '.data/**'];

/** Closed ports for every server the config names (port 9, discard: nothing listens there). */
const NO_SERVERS = {
  MYSQL_HOST: '127.0.0.1',
  MYSQL_PORT: '9',
  REDIS_URL: 'redis://127.0.0.1:9',
  KAFKA_BROKERS: '127.0.0.1:9',
  AWS_ENDPOINT: 'http://127.0.0.1:9',
  TEMPORAL_ADDRESS: '127.0.0.1:9',
  TRACING_OTLP_URL: 'http://127.0.0.1:9/v1/traces',
};

export default defineConfig({
  test: {
    // Temporal's native bridge and real sockets want processes, not worker threads.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    projects: [
      {
        extends: true,
        // The global setup builds the shared workflow bundles (runtime/workflow-bundle.ts).
        // Not isolated: a worker process runs its files one after another on one module graph, so
        // @temporalio/worker, hono and the app's modules load once per worker, not once per file
        // (most of the project's time before). Module state is shared across those files: the one
        // file that turns tracing on for its process is platform/tracing.test.ts.
        test: { name: 'unit', include: UNIT_TESTS, exclude: EXCLUDE, env: NO_SERVERS, globalSetup: ['test/unit-setup.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.test.ts'],
          exclude: [...EXCLUDE, ...UNIT_TESTS, ...WEB_TESTS],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'web', include: WEB_TESTS, exclude: EXCLUDE, globalSetup: ['test/global-setup.ts'] },
      },
    ],
  },
});
