import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { startOnce, workflowUiUrl } from '../../platform/clients/temporal';
import type { Client } from '@temporalio/client';
import type { Pool } from 'mysql2/promise';
import type { Config } from '../../platform/config';
import { claimIdempotencyKey, requestHash } from '../../platform/db/idempotency';
import { inTransaction } from '../../platform/db/transaction';
import { AppError } from '../../platform/errors';
import { EVENT_FAN_OUT_WORKFLOW, eventWorkflowId, type EventEnvelope, type EventFanOutWorkflow } from '../../contracts/events';
import { getEventTrail, insertAcceptedEvent, listEvents } from '../../stores/events';
import { documentedRoutes, errors, idempotencyKeyHeader, idLink, idParam, jsonBody, success } from '../openapi/define';

/** Largest payload accepted, serialized (SNS takes 256 KiB per message, envelope included). */
export const MAX_EVENT_PAYLOAD_BYTES = 64 * 1024;

export const PublishEvent = z.object({
  type: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'letters, digits, . _ : -, at most 100, starting with a letter or digit'),
  payload: z
    .record(z.string(), z.unknown())
    .refine((p) => Buffer.byteLength(JSON.stringify(p)) <= MAX_EVENT_PAYLOAD_BYTES, `must be at most ${MAX_EVENT_PAYLOAD_BYTES} bytes as JSON`),
});

export const ListQuery = z.object({
  type: z.string().max(100).optional().meta({ example: 'order.shipped' }),
  limit: z.coerce.number().int().min(1).max(200).default(50).meta({ example: 10 }),
});

const tags = ['events'];
const publish = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Publish an event: recorded, then fanned out to SNS and Kafka by its event workflow run',
  request: { headers: idempotencyKeyHeader.optional, body: jsonBody(PublishEvent, { type: 'order.shipped', payload: { orderId: 'o-1' } }) },
  responses: {
    202: success('accepted; eventId, statusUrl, temporalUi', { links: { GetEvent: idLink('get /events/:id', 'where the event went', '/eventId') } }),
    ...errors(400, 409, 422, 503),
  },
});
const list = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: "The caller's events",
  request: { query: ListQuery },
  responses: { 200: success('events', { links: { GetFirstEvent: idLink('get /events/:id', 'the first event listed', '/events/0/eventId') } }), ...errors(400) },
});
const get = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'Where an event went (its trail)',
  request: { params: idParam() },
  responses: { 200: success('the event and its trail'), ...errors(404) },
});

/** What the event routes use: MySQL for the event and its trail, Temporal for its run. */
export interface EventRouteDeps {
  config: Config;
  mysql: () => Pool;
  temporal: () => Promise<Client>;
}

/** `/events`: publish an event (durable dual write through Temporal) and read where it went. */
export function eventRoutes(deps: EventRouteDeps) {
  const { config } = deps;

  /** Starts the run unless it exists (a retry after a failed start, or a concurrent duplicate). */
  async function startRun(event: EventEnvelope, requestId: string): Promise<void> {
    try {
      await startOnce<EventFanOutWorkflow>(await deps.temporal(), EVENT_FAN_OUT_WORKFLOW, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId: eventWorkflowId(config.TIDINGS_ENV, event.eventId),
        memo: { requestId },
        args: [{ event, confirmTimeoutMs: config.EVENT_CONFIRM_TIMEOUT_MS }],
      });
    } catch (err) {
      throw new AppError(
        503,
        'temporal_unavailable',
        'the event is recorded but could not be started; retry with the same Idempotency-Key',
        { dependency: 'temporal' },
        { cause: err },
      );
    }
  }

  const app = documentedRoutes();
  app.openapi(publish, async (c) => {
    const { userId } = c.get('principal');
    const key = c.req.valid('header')['Idempotency-Key'];
    const body = c.req.valid('json');
    const fresh: EventEnvelope = { eventId: randomUUID(), type: body.type, payload: body.payload, userId, acceptedAt: new Date().toISOString() };
    const earlierId = await inTransaction(deps.mysql(), async (conn) => {
      if (key) {
        const earlier = await claimIdempotencyKey(conn, { scope: 'events', principal: userId, key, hash: requestHash(body), resourceId: fresh.eventId });
        if (earlier) return earlier;
      }
      await insertAcceptedEvent(conn, fresh);
      return undefined;
    });
    const eventId = earlierId ?? fresh.eventId;
    let event = fresh;
    if (earlierId) {
      // The claim committed with the event, so the row is there; its absence is a broken invariant.
      const earlier = await getEventTrail(deps.mysql(), earlierId);
      if (!earlier) throw new Error(`event ${earlierId} of an idempotency key is missing`);
      event = { ...fresh, eventId, acceptedAt: earlier.acceptedAt };
      // A replay answers exactly what the first request answered, marked as a replay.
      c.header('Idempotent-Replayed', 'true');
    }
    // A replay starts the run too: the first request may have failed to (503).
    await startRun(event, c.get('requestId'));
    return c.json(
      { eventId, status: 'ACCEPTED', statusUrl: `/events/${eventId}`, temporalUi: workflowUiUrl(config, eventWorkflowId(config.TIDINGS_ENV, eventId)) },
      202,
    );
  });
  app.openapi(list, async (c) => c.json({ events: await listEvents(deps.mysql(), c.get('principal').userId, c.req.valid('query')) }, 200));
  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const parsed = z.uuid().safeParse(id);
    const trail = parsed.success ? await getEventTrail(deps.mysql(), id, c.get('principal').userId) : undefined;
    if (!trail) throw new AppError(404, 'not_found', `no event ${id}`, { field: 'id' });
    return c.json({ ...trail, temporalUi: workflowUiUrl(config, eventWorkflowId(config.TIDINGS_ENV, id)) }, 200);
  });
  return app;
}
