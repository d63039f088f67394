import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

export { Client, Connection };

/** A gRPC connection to the Temporal frontend; close it on shutdown. */
export const connectTemporal = (config: Config): Promise<Connection> =>
  Connection.connect({ address: config.TEMPORAL_ADDRESS });

/** A Temporal client for the configured namespace over an existing connection. */
export const createTemporalClient = (config: Config, connection: Connection): Client =>
  new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

/** The Temporal Web UI page of one workflow run. */
export function workflowUiUrl(config: Config, workflowId: string, runId?: string): string {
  const base = `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}
