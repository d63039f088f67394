import type { Server } from 'node:http';
import { Hono } from 'hono';
import { closeRedis, createRedis } from '../platform/clients/redis';
import { createTokenVerifier } from '../platform/auth/jwt';
import type { Redis } from 'ioredis';
import type { Config } from '../platform/config';
import type { Lifecycle } from '../platform/lifecycle';
import type { Logger } from '../platform/logger';
import { notFound, onError } from '../platform/http/errors';
import { opsRoutes, recordHttpMetrics } from '../platform/http/ops';
import { boundPort, closeServer, listen } from '../platform/http/serve';
import type { ChannelAuthorizer } from './authorize';
import { createGateway } from './ws-server';

/** What the gateway role needs of the process (the runtime context has it). */
export interface GatewayRoleDeps {
  config: Config;
  log: Logger;
  lifecycle: Lifecycle;
  redis(): Redis;
}

/** The `gateway` role: WebSocket endpoint `/ws` plus ops routes on GATEWAY_PORT. Returns its URL. */
export async function startGateway(ctx: GatewayRoleDeps, authorizers: Record<string, ChannelAuthorizer> = {}): Promise<string> {
  const { config, lifecycle } = ctx;
  const log = ctx.log.child({ component: 'gateway' });
  const app = new Hono();
  app.use(recordHttpMetrics('gateway'));
  // The gateway's only dependency is Redis (registry, streams, pub/sub).
  app.route('/', opsRoutes({ role: 'gateway', checks: { redis: () => ctx.redis().ping() }, timeoutMs: config.READY_CHECK_TIMEOUT_MS }));
  app.onError(onError(log, { retryAfterSeconds: config.UNAVAILABLE_RETRY_AFTER_SECONDS }));
  app.notFound(notFound);

  const subscriber = lifecycle.add('gateway redis subscriber', createRedis(config, log, 'tidings-gateway-sub', { autoPipelining: false }), closeRedis);
  const gateway = createGateway({ config, redis: ctx.redis(), subscriber, verifyToken: createTokenVerifier(config), log, authorizers });
  const server = await listen(app, config.HOST, config.GATEWAY_PORT);
  await gateway.attach(server as Server);
  lifecycle.add('gateway http server', server, closeServer);
  // Registered last so it runs first at shutdown: clients get 1001 before the server stops.
  lifecycle.add('gateway', gateway, (g) => g.close());
  log.info({ instanceId: gateway.instanceId }, 'gateway accepting WebSocket connections');
  return `ws://${config.HOST}:${boundPort(server)}/ws`;
}
