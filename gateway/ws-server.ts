import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import { extractUpgradeToken, type Principal, type TokenVerifier } from '../platform/auth/jwt';
import type { Config } from '../platform/config';
import { AppError } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { createChannelAuthorization, DEFAULT_AUTHORIZERS, type ChannelAuthorizer } from './authorize';
import { Hub } from './hub';
import { gatewayMetrics } from './metrics';
import { CloseCode, Offset } from './protocol';
import { createRegistry, reapDeadInstances } from './registry';
import { KEEPALIVE_SLOTS, Session } from './session';

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

/** Writes an HTTP error on a socket that asked to upgrade, then closes it: no WebSocket is made. */
function refuseUpgrade(socket: Duplex, status: 400 | 401 | 404 | 503, code: string, message: string, field?: string): void {
  const body = JSON.stringify({ error: { code, message, ...(field ? { field } : {}) } });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' }[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * The WebSocket side of one gateway instance. `attach` hooks it to an HTTP server's upgrades on
 * `path`; `close` shuts down gracefully (1001 to every client, registry entries removed).
 */
export function createGateway(opts: GatewayOptions) {
  const { config, redis, log } = opts;
  const instanceId = opts.instanceId ?? `gw-${randomUUID().slice(0, 8)}`;
  const path = opts.path ?? '/ws';
  const registry = createRegistry(redis, instanceId, config.GATEWAY_INSTANCE_TTL_MS);
  const hub = new Hub(opts.subscriber, instanceId, log);
  const authorize = createChannelAuthorization({ ...DEFAULT_AUTHORIZERS, ...opts.authorizers });
  const sessions = new Set<Session>();
  /** Emits `closed` (session) after a connection ends: for metrics, logs and tests. */
  const events = new EventEmitter<{ closed: [Session] }>();
  const labels = { instance: instanceId };
  let shuttingDown = false;

  // ws closes frames over maxPayload with 1009 by itself.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.GATEWAY_MAX_FRAME_BYTES, perMessageDeflate: false });

  const heartbeat = setInterval(
    () => {
      registry.heartbeat().catch((err: unknown) => log.warn({ err }, 'registry heartbeat failed'));
      reapDeadInstances(redis).catch((err: unknown) => log.warn({ err }, 'reaping dead instances failed'));
    },
    Math.max(250, Math.floor(config.GATEWAY_INSTANCE_TTL_MS / 3)),
  );
  heartbeat.unref();

  // One timer for all sockets (not a timer each), spread over KEEPALIVE_SLOTS ticks so 10,000
  // pings do not leave in one burst. Each socket is visited once per interval: a socket that did
  // not answer the previous ping (nor send anything) since its last visit is dead.
  let keepaliveTick = 0;
  const keepalive = setInterval(
    () => {
      const slot = keepaliveTick++ % KEEPALIVE_SLOTS;
      for (const s of sessions) {
        if (s.keepaliveSlot !== slot) continue;
        if (!s.alive) {
          s.ws.terminate();
          continue;
        }
        s.alive = false;
        s.ws.ping();
      }
    },
    Math.max(10, Math.floor(config.GATEWAY_PING_INTERVAL_MS / KEEPALIVE_SLOTS)),
  );
  keepalive.unref();

  /** `resume`: where the client left its user channel (`?since=&epoch=`), replayed before live events. */
  async function onConnection(ws: WebSocket, principal: Principal, resume: { since?: string; epoch?: string }): Promise<void> {
    const connectionId = randomUUID();
    const session = new Session(ws, connectionId, principal.userId, {
      instanceId,
      redis,
      hub,
      registry,
      authorize,
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
    // The connection ends at its maximum lifetime or when its token expires, whichever is first.
    const untilExpiry = principal.expiresAt * 1000 - Date.now();
    const lifetime = Math.min(config.GATEWAY_MAX_LIFETIME_MS, untilExpiry);
    const expiresAt = new Date(Date.now() + lifetime);
    const timer = setTimeout(
      () =>
        untilExpiry < config.GATEWAY_MAX_LIFETIME_MS
          ? session.close(CloseCode.tokenExpired, 'token expired')
          : session.close(CloseCode.lifetime, 'maximum connection lifetime reached'),
      lifetime,
    );
    timer.unref();
    // Who and which connection, never the URL or headers: the upgrade may carry the token in its query.
    log.debug({ connectionId, userId: principal.userId }, 'connection opened');
    ws.on('close', (code) => {
      log.debug({ connectionId, userId: principal.userId, code: session.closeCode ?? code }, 'connection closed');
      clearTimeout(timer);
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

    const userChannel = `user:${principal.userId}`;
    session.send({ type: 'welcome', protocol: 1, connectionId, userId: principal.userId, expiresAt: expiresAt.toISOString(), channels: [userChannel] });
    await registry.addConnection(connectionId, principal.userId);
    await session.subscribe(userChannel, resume.since, resume.epoch);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== path) return refuseUpgrade(socket, 404, 'not_found', `WebSocket endpoint is ${path}`);
    if (shuttingDown) return refuseUpgrade(socket, 503, 'shutting_down', 'this gateway instance is shutting down');
    const since = url.searchParams.get('since') ?? undefined;
    const epoch = url.searchParams.get('epoch') ?? undefined;
    if (since !== undefined && !Offset.safeParse(since).success) {
      return refuseUpgrade(socket, 400, 'invalid_request', 'since: expected an offset like 1700000000000-0', 'since');
    }
    const token = extractUpgradeToken(req.headers.authorization, url);
    if (!token) return refuseUpgrade(socket, 401, 'unauthorized', 'missing token: send Authorization: Bearer <jwt> or ?access_token=');
    let principal: Principal;
    try {
      principal = await opts.verifyToken(token);
    } catch (err) {
      const reason = err instanceof AppError ? err.message : 'invalid token';
      log.debug({ reason, remote: req.socket.remoteAddress }, 'upgrade refused');
      return refuseUpgrade(socket, 401, 'unauthorized', reason);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      onConnection(ws, principal, { since, epoch }).catch((err: unknown) => {
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
      clearInterval(heartbeat);
      clearInterval(keepalive);
      const closed = [...sessions].map((s) => new Promise((resolve) => s.ws.once('close', resolve)));
      for (const s of sessions) s.close(CloseCode.goingAway, 'server shutting down');
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      wss.close();
      await registry.removeInstance();
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
