import { Hono } from 'hono';
import { z } from 'zod';
import { traceOwner, traceView } from '../../domain/trace-view';
import { jaegerTraceReader, type TraceReader } from '../../platform/clients/jaeger';
import type { Config } from '../../platform/config';
import { AppError } from '../../platform/errors';
import type { ApiVariables } from '../middleware/auth';

/** A W3C trace id as `X-Trace-Id` carries it: 32 hexadecimal digits. */
export const TraceIdParam = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hexadecimal digits (the X-Trace-Id of a response)');

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
  return new Hono<{ Variables: ApiVariables }>().get('/:traceId', async (c) => {
    const raw = c.req.param('traceId');
    if (!TraceIdParam.safeParse(raw).success)
      throw new AppError(400, 'invalid_request', 'traceId must be 32 hexadecimal digits (the X-Trace-Id of a response)', { field: 'traceId' });
    const traceId = raw.toLowerCase();
    const trace = await read(traceId);
    if (!trace || traceOwner(trace) !== c.get('principal').userId)
      throw new AppError(404, 'not_found', `no trace ${traceId} (a new one takes a few seconds to arrive; Jaeger keeps them in memory)`, { field: 'traceId' });
    return c.json({ ...traceView(trace), jaegerUi: `${deps.config.TRACING_UI_URL.replace(/\/$/, '')}/trace/${traceId}` });
  });
}
