import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Context } from '../platform/context';
import { dependencyChecks } from '../platform/health';
import { errorBody, notFound, onError } from '../platform/http/errors';
import { opsRoutes, recordHttpMetrics } from '../platform/http/ops';
import { pingRoutes } from './ping/routes';

/** The API, one sub-app per resource; reads as the table of contents of the HTTP surface. */
export function createApiApp(ctx: Context): Hono {
  const app = new Hono();
  app.use(recordHttpMetrics('api'));
  app.use(
    bodyLimit({
      maxSize: 256 * 1024,
      onError: (c) => c.json(errorBody('payload_too_large', 'request body is larger than 256 KiB', { field: 'body' }), 413),
    }),
  );
  app.route('/', opsRoutes({ role: 'api', checks: dependencyChecks(ctx), timeoutMs: ctx.config.READY_CHECK_TIMEOUT_MS }));
  app.route('/ping', pingRoutes(ctx));
  app.onError(onError(ctx.log.child({ component: 'api' })));
  app.notFound(notFound);
  return app;
}
