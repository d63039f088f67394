import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  type ConnectionLike,
  type WorkflowHandleWithStartDetails,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../config';
import { tracer, tracingOn } from '../tracing';

export { Client, Connection };

/** A gRPC connection to the Temporal frontend; close it on shutdown. */
export const connectTemporal = (config: Config): Promise<Connection> => Connection.connect({ address: config.TEMPORAL_ADDRESS });

/**
 * A Temporal client for the configured namespace over an existing connection. With tracing on,
 * every start, signal, update and query is a span whose context travels to the workflow in its
 * headers (the worker's interceptors continue it).
 */
export const createTemporalClient = (config: Config, connection: ConnectionLike): Client =>
  new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(tracingOn() ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] } } : {}),
  });

/** The Temporal Web UI page of one workflow run. */
export function workflowUiUrl(config: Config, workflowId: string, runId?: string): string {
  const base = `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}

/**
 * Starts a workflow unless a run with its id exists or existed (REJECT_DUPLICATE): the id scheme
 * makes every start idempotent, so "already started" is success. Returns the new run's handle, or
 * undefined in that case.
 */
export async function startOnce<W extends Workflow>(
  client: Client,
  workflow: W | string,
  options: WorkflowStartOptions<W>,
): Promise<WorkflowHandleWithStartDetails<W> | undefined> {
  try {
    return await client.workflow.start(workflow, { workflowIdReusePolicy: 'REJECT_DUPLICATE', ...options });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}
