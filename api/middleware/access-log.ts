import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../platform/logger';
import type { ApiVariables } from './auth';

/**
 * One line per request, after it is answered: method, path (never the query: it may carry ids or
 * tokens), status, duration, the request id (also in the X-Request-Id response header and in the
 * memo of the workflows the request starts) and the authenticated user when there is one. Health
 * probes are logged at debug so they do not drown the rest.
 */
export function accessLog(log: Logger): MiddlewareHandler<{ Variables: ApiVariables }> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const line = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      userId: c.get('principal')?.userId,
    };
    const quiet = c.req.path === '/health' || c.req.path === '/ready' || c.req.path === '/metrics';
    if (quiet) log.debug(line, 'request');
    else log.info(line, 'request');
  };
}
