import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { checkReadiness, type Check } from '../health';
import { httpDuration, metrics } from '../metrics';

/** Records every request's duration under the route pattern (not the raw path: bounded labels). */
export function recordHttpMetrics(role: string): MiddlewareHandler {
  return async (c, next) => {
    const end = httpDuration.startTimer({ role, method: c.req.method });
    await next();
    end({ route: c.req.routePath, status: String(c.res.status) });
  };
}

export interface OpsOptions {
  role: string;
  checks: Record<string, Check>;
  timeoutMs: number;
}

const open = { tags: ['operations'], security: [] };
const health = createRoute({ method: 'get', path: '/health', ...open, summary: 'Liveness: the process answers', responses: { 200: { description: 'alive' } } });
const ready = createRoute({
  method: 'get',
  path: '/ready',
  ...open,
  summary: 'Readiness: every server it depends on answers',
  responses: { 200: { description: 'ready' }, 503: { $ref: '#/components/responses/E503' } },
});
const metricsText = createRoute({
  method: 'get',
  path: '/metrics',
  ...open,
  summary: 'Prometheus metrics',
  responses: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: z.string() } } } },
});

/**
 * `/health` (the process answers), `/ready` (every dependency answers; 503 naming the ones that do
 * not) and `/metrics` (Prometheus text) for any HTTP role; documented in the API's /openapi.json.
 */
export function opsRoutes({ role, checks, timeoutMs }: OpsOptions): OpenAPIHono {
  const started = Date.now();
  const app = new OpenAPIHono();
  app.openapi(health, (c) => c.json({ status: 'ok', role, uptimeSeconds: Math.round((Date.now() - started) / 1000) }, 200));
  app.openapi(ready, async (c) => {
    const r = await checkReadiness(checks, timeoutMs);
    if (r.ready) return c.json({ status: 'ready', checks: r.checks }, 200);
    return c.json(
      {
        status: 'unavailable',
        failed: r.failed,
        error: { code: 'dependency_unavailable', message: `not ready: ${r.failed.join(', ')} unavailable` },
        checks: r.checks,
      },
      503,
    );
  });
  app.openapi(metricsText, async (c) => c.text(await metrics.metrics(), 200, { 'content-type': metrics.contentType }));
  return app;
}
