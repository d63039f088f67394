import { Hono } from 'hono';
import type { Context } from '../platform/context';
import { dependencyChecks } from '../platform/health';
import { notFound, onError } from '../platform/http/errors';
import { opsRoutes, recordHttpMetrics } from '../platform/http/ops';
import { boundPort, closeServer, listen } from '../platform/http/serve';

/** The `gateway` role: WebSocket endpoint `/ws` plus ops routes on GATEWAY_PORT. Returns its URL. */
export async function startGateway(ctx: Context): Promise<string> {
  const { redis } = dependencyChecks(ctx);
  const app = new Hono();
  app.use(recordHttpMetrics('gateway'));
  // The gateway's only dependency is Redis (registry, streams, pub/sub).
  app.route('/', opsRoutes({ role: 'gateway', checks: { redis: redis! }, timeoutMs: ctx.config.READY_CHECK_TIMEOUT_MS }));
  app.onError(onError(ctx.log.child({ component: 'gateway' })));
  app.notFound(notFound);
  const server = await listen(app, ctx.config.HOST, ctx.config.GATEWAY_PORT);
  ctx.lifecycle.add('gateway server', server, closeServer);
  return `ws://${ctx.config.HOST}:${boundPort(server)}/ws`;
}
