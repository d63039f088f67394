import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { traceOwner, traceView } from '../../domain/trace-view';
import { jaegerTraceReader, type TraceReader } from '../../platform/clients/jaeger';
import type { Config } from '../../platform/config';
import { AppError } from '../../platform/errors';
import { documentedRoutes, errors, success } from '../openapi/define';

/** A W3C trace id as `X-Trace-Id` carries it: 32 hexadecimal digits. */
export const TraceIdParam = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hexadecimal digits (the X-Trace-Id of a response)');

const view = createRoute({
  method: 'get',
  path: '/{traceId}',
  tags: ['traces'],
  summary:
    "One trace as a waterfall (spans by service, offsets, durations, errors), read from Jaeger: a trace the caller's own request started (the X-Trace-Id of a response, the traceId of a purchase, event or notification)",
  request: { params: z.object({ traceId: TraceIdParam.meta({ example: '4bf92f3577b34da6a3ce929d0e0e4736' }) }) },
  responses: {
    200: success('traceId, startedAt, durationMs, services, spans (spanId, parentId, depth, service, name, kind, startMs, durationMs, error), jaegerUi'),
    ...errors(400, 404),
  },
});

/** What the trace routes use: Jaeger's query API (a reader of our own in tests). */
export interface TraceRouteDeps {
  config: Pick<Config, 'TRACING_UI_URL'>;
  traces?: TraceReader;
}

/**
 * `/traces/:traceId`: one trace as a waterfall (spans by service, offsets, durations, errors), read
 * from Jaeger, for the web app's trace view. A user sees the traces their own requests started; any
 * other trace, like one Jaeger does not have, is 404 (trace ids cannot be probed).
 */
export function traceRoutes(deps: TraceRouteDeps) {
  const read = deps.traces ?? jaegerTraceReader(deps.config);
  const app = documentedRoutes();
  app.openapi(view, async (c) => {
    const traceId = c.req.valid('param').traceId.toLowerCase();
    const trace = await read(traceId);
    if (!trace || traceOwner(trace) !== c.get('principal').userId)
      throw new AppError(404, 'not_found', `no trace ${traceId} (a new one takes a few seconds to arrive; Jaeger keeps them in memory)`, { field: 'traceId' });
    return c.json({ ...traceView(trace), jaegerUi: `${deps.config.TRACING_UI_URL.replace(/\/$/, '')}/trace/${traceId}` }, 200);
  });
  return app;
}
