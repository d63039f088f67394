import { Hono, type MiddlewareHandler } from 'hono';
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

/**
 * `/health` (the process answers), `/ready` (every dependency answers; 503 naming the ones that do
 * not) and `/metrics` (Prometheus text) for any HTTP role.
 */
export function opsRoutes({ role, checks, timeoutMs }: OpsOptions): Hono {
  const started = Date.now();
  return new Hono()
    .get('/health', (c) => c.json({ status: 'ok', role, uptimeSeconds: Math.round((Date.now() - started) / 1000) }))
    .get('/ready', async (c) => {
      const r = await checkReadiness(checks, timeoutMs);
      if (r.ready) return c.json({ status: 'ready', checks: r.checks });
      return c.json(
        {
          status: 'unavailable',
          failed: r.failed,
          error: { code: 'dependency_unavailable', message: `not ready: ${r.failed.join(', ')} unavailable` },
          checks: r.checks,
        },
        503,
      );
    })
    .get('/metrics', async (c) => c.text(await metrics.metrics(), 200, { 'content-type': metrics.contentType }));
}
