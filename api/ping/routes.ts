import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { z } from 'zod';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { Config } from '../../platform/config';
import { jsonBody } from '../../platform/http/validate';
import { ping, pingWorkflowId } from '../../workflows/ping';

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

/** `POST /ping`: runs the ping workflow through the worker and answers with every probe's result. */
export function pingRoutes({ config, temporal }: PingRouteDeps): Hono {
  return new Hono().post('/', async (c) => {
    // The body is optional, but one that is sent must be JSON of this shape (not silently ignored).
    const body = await jsonBody(c, PingRequest, { optional: true });
    const pingId = body.pingId ?? randomUUID();
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
    return c.json({ ...result, workflowId: handle.workflowId, temporalUi: workflowUiUrl(config, handle.workflowId) });
  });
}
