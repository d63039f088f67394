import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal, TokenVerifier } from '../platform/auth/jwt';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { inNamespaces, userChannel } from '../contracts/channels';
import { createChannelAuthorization, DEFAULT_AUTHORIZERS, type ChannelAuthorizer } from './authorize';
import { limitLifetime, startInstanceHeartbeat, startKeepalive } from './heartbeats';
import { Hub } from './hub';
import { gatewayMetrics } from './metrics';
import { CloseCode } from './protocol';
import { createRegistry } from './registry';
import { Session } from './session';
import { admitUpgrade, type Resume } from './upgrade';

export interface GatewayOptions {
  config: Config;
  /** Commands (registry, history). */
  redis: Redis;
  /** A dedicated connection: Redis puts a subscribing connection in pub/sub mode. */
  subscriber: Redis;
  verifyToken: TokenVerifier;
  log: Logger;
  authorizers?: Record<string, ChannelAuthorizer>;
  instanceId?: string;
  path?: string;
}

/**
 * The WebSocket side of one gateway instance, put together from its parts: admission (upgrade.ts),
 * timers (heartbeats.ts), presence (registry.ts), the Redis backplane (hub.ts), channel
 * authorisation (authorize.ts) and each connection's frames and subscriptions (session.ts).
 * `attach` hooks it to an HTTP server's upgrades on `path`; `close` shuts down gracefully (1001 to
 * every client, registry entries removed).
 */
export function createGateway(opts: GatewayOptions) {
  const { config, redis, log } = opts;
  const instanceId = opts.instanceId ?? `gw-${randomUUID().slice(0, 8)}`;
  const path = opts.path ?? '/ws';
  const registry = createRegistry(redis, instanceId, config.GATEWAY_INSTANCE_TTL_MS);
  const hub = new Hub(opts.subscriber, instanceId, log);
  const authorize = createChannelAuthorization({ ...DEFAULT_AUTHORIZERS, ...opts.authorizers });
  const isLiveOnly = inNamespaces(config.GATEWAY_LIVE_ONLY_NAMESPACES);
  const sessions = new Set<Session>();
  /** Emits `closed` (session) after a connection ends: for metrics, logs and tests. */
  const events = new EventEmitter<{ closed: [Session] }>();
  const labels = { instance: instanceId };
  let shuttingDown = false;

  // ws closes frames over maxPayload with 1009 by itself.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.GATEWAY_MAX_FRAME_BYTES, perMessageDeflate: false });

  const stopHeartbeat = startInstanceHeartbeat(registry, redis, config.GATEWAY_INSTANCE_TTL_MS, log);
  const stopKeepalive = startKeepalive(sessions, config.GATEWAY_PING_INTERVAL_MS);

  async function onConnection(ws: WebSocket, principal: Principal, resume: Resume): Promise<void> {
    const connectionId = randomUUID();
    const session = new Session(ws, connectionId, principal.userId, {
      instanceId,
      redis,
      hub,
      registry,
      authorize,
      isLiveOnly,
      log,
      limits: {
        ratePerSecond: config.GATEWAY_RATE_PER_SECOND,
        rateBurst: config.GATEWAY_RATE_BURST,
        maxBufferedBytes: config.GATEWAY_MAX_BUFFERED_BYTES,
        maxSubscriptions: config.GATEWAY_MAX_SUBSCRIPTIONS,
      },
    });
    sessions.add(session);
    gatewayMetrics.connections.inc(labels);
    const lifetime = limitLifetime(session, principal.expiresAt, config.GATEWAY_MAX_LIFETIME_MS);
    // Who and which connection, never the URL or headers: the upgrade may carry the token in its query.
    log.debug({ connectionId, userId: principal.userId }, 'connection opened');
    ws.on('close', (code) => {
      log.debug({ connectionId, userId: principal.userId, code: session.closeCode ?? code }, 'connection closed');
      lifetime.cancel();
      sessions.delete(session);
      gatewayMetrics.connections.dec(labels);
      gatewayMetrics.closes.inc({ ...labels, code: String(session.closeCode ?? code) });
      events.emit('closed', session);
      void session
        .dispose()
        .then(() => registry.removeConnection(connectionId, principal.userId))
        .catch((err: unknown) => log.warn({ err, connectionId }, 'connection cleanup failed'));
    });
    ws.on('error', (err) => log.debug({ err: err.message, connectionId }, 'socket error'));

    const ownChannel = userChannel(principal.userId);
    session.send({
      type: 'welcome',
      protocol: 1,
      connectionId,
      userId: principal.userId,
      expiresAt: lifetime.expiresAt.toISOString(),
      channels: [ownChannel],
    });
    await registry.addConnection(connectionId, principal.userId);
    await session.subscribe(ownChannel, resume.since, resume.epoch);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const admitted = await admitUpgrade(req, socket, { path, shuttingDown, verifyToken: opts.verifyToken, log });
    if (!admitted) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      onConnection(ws, admitted.principal, admitted.resume).catch((err: unknown) => {
        log.error({ err }, 'connection set-up failed');
        ws.close(1011, 'internal error');
      });
    });
  }

  return {
    instanceId,
    sessions,
    registry,
    events,
    /** Starts serving WebSocket upgrades on an HTTP server. */
    async attach(server: Server): Promise<void> {
      await registry.heartbeat();
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        onUpgrade(req, socket, head).catch((err: unknown) => {
          log.error({ err }, 'upgrade failed');
          socket.destroy();
        });
      });
    },
    /** Graceful shutdown: 1001 to every client so it reconnects elsewhere, then unregister. */
    async close(timeoutMs = 5_000): Promise<void> {
      shuttingDown = true;
      stopHeartbeat();
      stopKeepalive();
      const closed = [...sessions].map((s) => new Promise((resolve) => s.ws.once('close', resolve)));
      for (const s of sessions) s.close(CloseCode.goingAway, 'server shutting down');
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      wss.close();
      await registry.removeInstance();
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
