// Vitest global setup of the unit project: builds the workflow bundles its tests share (or finds
// them built and unchanged in .data/workflow-bundles/) before any test file starts, so no two
// files bundle the same code side by side. No server, no environment: the unit project has none.
import { createRequire } from 'node:module';
import { workflowBundle } from '../runtime/workflow-bundle';

// The tracing replay's interceptors, as worker.ts WORKFLOW_TRACING_MODULES resolves them (not
// imported: worker.ts loads the whole app).
const TRACING_MODULES = [createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

export default async function setup(): Promise<void> {
  await Promise.all([workflowBundle(), workflowBundle({ workflowInterceptorModules: TRACING_MODULES })]);
}
