import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { contextFromHeaders, inSpan } from '../../platform/trace-context';
import type { ApiVariables } from './auth';

/** Probes polled every few seconds: tracing them would bury the journeys in noise. */
const UNTRACED = new Set(['/health', '/ready', '/metrics']);

/**
 * One SERVER span per request, the root of the journey's trace (or the child of a caller's
 * `traceparent`). Named by the matched route (`POST /purchases/:id/cancel`), never the raw path
 * (ids would make every span name unique). The trace id goes back in `X-Trace-Id`: Jaeger's query
 * API answers it at /api/traces/<id>.
 */
export function traceRequests(): MiddlewareHandler<{ Variables: ApiVariables }> {
  return async (c, next) => {
    if (UNTRACED.has(c.req.path)) return next();
    const parent = contextFromHeaders({ traceparent: c.req.header('traceparent'), tracestate: c.req.header('tracestate') });
    await inSpan(`${c.req.method} ${c.req.path}`, { kind: SpanKind.SERVER, role: 'api', parent }, async (span) => {
      const traceId = span.spanContext().traceId;
      if (span.isRecording()) c.header('X-Trace-Id', traceId);
      await next();
      const route = routePath(c, -1);
      span.updateName(`${c.req.method} ${route}`);
      span.setAttributes({
        'http.request.method': c.req.method,
        'http.route': route,
        'url.path': c.req.path,
        'http.response.status_code': c.res.status,
        'tidings.request_id': c.get('requestId'),
        ...(c.get('principal') ? { 'enduser.id': c.get('principal').userId } : {}),
      });
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    });
  };
}
