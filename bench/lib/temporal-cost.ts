// What a design costs the Temporal server, measured from the server itself: its empty-workflow
// ceiling on this machine, and the workflow tasks the design's workflows completed.
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../../platform/config';
import { WORKFLOWS_PATH } from '../../worker';
import { emptyWorkflow } from '../../workflows/empty';

/** Empty workflows per second the server completes with one worker (64 starts in flight). */
export async function emptyWorkflowCeiling(client: Client, config: Config, total = 600): Promise<{ perSecond: number; total: number }> {
  const taskQueue = `${config.TIDINGS_ENV}-ceiling`;
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities: {} });
  try {
    return await worker.runUntil(async () => {
      // Warm-up: the first runs pay for the bundle's load.
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => client.workflow.execute(emptyWorkflow, { taskQueue, workflowId: `${config.TIDINGS_ENV}.ceiling-warm-${i}` })),
      );
      const started = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < total) {
            const i = next++;
            await client.workflow.execute(emptyWorkflow, { taskQueue, workflowId: `${config.TIDINGS_ENV}.ceiling-${i}` });
          }
        }),
      );
      return { perSecond: total / ((Date.now() - started) / 1000), total };
    });
  } finally {
    await connection.close();
  }
}

/** Workflow tasks completed by every run whose id starts with `idPrefix` (and matches `andQuery`; continued runs included). */
export async function workflowTasks(client: Client, idPrefix: string, andQuery?: string): Promise<{ workflows: number; runs: number; tasks: number }> {
  const ids = new Set<string>();
  let runs = 0;
  let tasks = 0;
  const executions: { workflowId: string; runId: string }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${idPrefix}'${andQuery ? ` AND ${andQuery}` : ''}` }))
    executions.push({ workflowId: wf.workflowId, runId: wf.runId });
  for (let i = 0; i < executions.length; i += 32) {
    await Promise.all(
      executions.slice(i, i + 32).map(async ({ workflowId, runId }) => {
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        ids.add(workflowId);
        runs++;
        // EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        tasks += (history.events ?? []).filter((e) => Number(e.eventType) === 7).length;
      }),
    );
  }
  return { workflows: ids.size, runs, tasks };
}
