import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: the journeys on the cluster profile (scripts/test-cluster.sh starts the
// real temporal-server first). Kept out of the default run: its first install builds
// temporal-server from source.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
