import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { createTokenVerifier } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { dependencyChecks } from '../platform/health';
import { errorBody, notFound, onError } from '../platform/http/errors';
import { opsRoutes, recordHttpMetrics } from '../platform/http/ops';
import { conversationRoutes } from './conversations/routes';
import { eventRoutes } from './events/routes';
import { accessLog } from './middleware/access-log';
import { bodyLimit } from './middleware/body-limit';
import { emptyJsonBody } from './middleware/empty-json-body';
import { methodNotAllowed } from './middleware/method-not-allowed';
import type { ApiVariables } from './middleware/auth';
import { rememberUsers } from './middleware/known-users';
import { limitAndAuthenticate } from './middleware/rate-limit';
import { traceRequests } from './middleware/tracing';
import { ledgerRoutes } from './ledger/routes';
import { notificationRoutes, userRoutes } from './notifications/routes';
import { openApiDocument } from './openapi/document';
import { openApiRoutes } from './openapi/routes';
import { pingRoutes } from './ping/routes';
import { productRoutes } from './products/routes';
import { purchaseRoutes } from './purchases/routes';
import { traceRoutes } from './traces/routes';
import { listProducts } from '../stores/purchases';
import { webRoutes } from './web';

/** The business resources, one sub-app each, mounted behind the guard. */
export function businessRoutes(ctx: Context): Record<string, Hono<{ Variables: ApiVariables }>> {
  return {
    '/events': eventRoutes(ctx),
    '/purchases': purchaseRoutes(ctx),
    '/products': productRoutes(ctx),
    '/ledger': ledgerRoutes(ctx),
    '/notifications': notificationRoutes(ctx),
    '/users': userRoutes(ctx),
    '/conversations': conversationRoutes(ctx),
    '/traces': traceRoutes(ctx),
  } as unknown as Record<string, Hono<{ Variables: ApiVariables }>>;
}

/**
 * The API, one sub-app per resource; reads as the table of contents of the HTTP surface. Its
 * /openapi.json is generated from the routes mounted here (each defined with `createRoute`).
 * `resources` replaces the business routes (benchmarks compare another design on the same edge).
 */
export function createApiApp(ctx: Context, resources: Record<string, Hono<{ Variables: ApiVariables }>> = businessRoutes(ctx)): Hono {
  const { config } = ctx;
  const log = ctx.log.child({ component: 'api' });
  const app = new OpenAPIHono<{ Variables: ApiVariables }>();
  // A caller's X-Request-Id is kept (so one id follows a request across services), else one is made.
  app.use(requestId({ limitLength: 128 }));
  // The root span of every journey a request starts (before the rest, so their work is inside it).
  app.use(traceRequests());
  app.use(accessLog(log));
  app.use(recordHttpMetrics('api'));
  app.use(secureHeaders());
  // Other origins only when configured: the web app is served from this origin and needs no CORS.
  // Preflights are answered here, before any auth.
  if (config.CORS_ORIGINS.length)
    app.use(
      cors({
        origin: config.CORS_ORIGINS,
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'X-Trace-Id', 'Retry-After'],
        maxAge: 600,
      }),
    );
  // A known path with the wrong method: 405 with Allow (the methods of its most specific route), not 404.
  app.use(
    methodNotAllowed(app, (c, methods) =>
      c.json(errorBody('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${methods.join(', ')}`), 405, {
        Allow: methods.join(', '),
      }),
    ),
  );
  app.use(
    bodyLimit({
      maxSize: 256 * 1024,
      onError: (c) => c.json(errorBody('payload_too_large', 'request body is larger than 256 KiB', { field: 'body' }), 413),
    }),
  );
  app.use(emptyJsonBody());
  // Open: health, readiness, metrics and the ping probe (operations, not business data).
  app.route('/', opsRoutes({ role: 'api', checks: dependencyChecks(ctx), timeoutMs: config.READY_CHECK_TIMEOUT_MS }));
  app.route('/ping', pingRoutes(ctx));
  // Open: the web app, its config and the demo sign-in (off unless DEV_SIGN_IN=true).
  app.route('/', webRoutes(ctx));
  // Open: the API's OpenAPI document and a page rendering it. The document states the catalogue's
  // limits for purchases; should the catalogue be unreadable (the database down), it is served without them.
  app.route(
    '/',
    openApiRoutes(async () => openApiDocument(app, await listProducts(ctx.mysql()).catch(() => undefined))),
  );

  // Every business route: the per-IP limit (it also stops token guessing), the JWT, the per-user
  // limit, in that order of precedence, both counters in one Redis call.
  const window = config.API_RATE_WINDOW_MS;
  const guard: MiddlewareHandler<{ Variables: ApiVariables }>[] = [
    limitAndAuthenticate({
      redis: ctx.redis(),
      log,
      verify: createTokenVerifier(config),
      windowMs: window,
      perIp: config.API_RATE_LIMIT_PER_IP,
      perUser: config.API_RATE_LIMIT_PER_USER,
    }),
    // Whoever calls the API is a user others can start a conversation with.
    rememberUsers({ mysql: () => ctx.mysql(), log }),
  ];
  for (const [prefix, routes] of Object.entries(resources)) {
    app.use(`${prefix}/*`, ...guard); // Hono's `/x/*` also matches `/x`
    app.route(prefix, routes);
  }

  app.onError(onError(log, { retryAfterSeconds: config.UNAVAILABLE_RETRY_AFTER_SECONDS }));
  app.notFound(notFound);
  return app as unknown as Hono;
}
