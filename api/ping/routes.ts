import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { Config } from '../../platform/config';
import { ping, pingWorkflowId } from '../../workflows/ping';
import { documentedRoutes, errors, jsonBody, OPEN, success } from '../openapi/define';

export const PingRequest = z.object({
  pingId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64')
    .optional(),
});

export interface PingRouteDeps {
  config: Config;
  temporal: () => Promise<Client>;
}

const pingRoute = createRoute({
  method: 'post',
  path: '/',
  tags: ['operations'],
  summary: 'Runs the ping workflow through the worker: Kafka, SNS/SQS, Redis and MySQL probes',
  ...OPEN,
  // The body is optional, but one that is sent must be JSON of this shape (not silently ignored).
  request: { body: jsonBody(PingRequest, { pingId: 'smoke-1' }, { optional: true }) },
  responses: { 200: success('every probe result'), ...errors(400, 422, 503) },
});

/** `POST /ping`: runs the ping workflow through the worker and answers with every probe's result. */
export function pingRoutes({ config, temporal }: PingRouteDeps) {
  const app = documentedRoutes();
  app.openapi(pingRoute, async (c) => {
    const pingId = c.req.valid('json').pingId ?? randomUUID();
    const client = await temporal();
    const handle = await client.workflow.start(ping, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: pingWorkflowId(config.TIDINGS_ENV, pingId),
      args: [{ pingId }],
      // A repeated ping id joins the run already under way instead of failing.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowExecutionTimeout: '2 minutes',
    });
    const result = await handle.result();
    return c.json({ ...result, workflowId: handle.workflowId, temporalUi: workflowUiUrl(config, handle.workflowId) }, 200);
  });
  return app;
}
