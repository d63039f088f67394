// The gateway's timers: the instance's registry heartbeat (and reaping instances that stopped
// beating), the WebSocket keepalive pass, and each connection's lifetime.
import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger';
import { CloseCode } from './protocol';
import { reapDeadInstances, type Registry } from './registry';
import { KEEPALIVE_SLOTS, type Session } from './session';

/** Keeps this instance registered (a third of its TTL apart) and reaps dead ones; returns the stop. */
export function startInstanceHeartbeat(registry: Registry, redis: Redis, ttlMs: number, log: Logger): () => void {
  const timer = setInterval(
    () => {
      registry.heartbeat().catch((err: unknown) => log.warn({ err }, 'registry heartbeat failed'));
      reapDeadInstances(redis).catch((err: unknown) => log.warn({ err }, 'reaping dead instances failed'));
    },
    Math.max(250, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * One timer for all sockets (not a timer each), spread over KEEPALIVE_SLOTS ticks so 10,000 pings
 * do not leave in one burst. Each socket is visited once per interval: a socket that did not answer
 * the previous ping (nor send anything) since its last visit is dead. Returns the stop.
 */
export function startKeepalive(sessions: Iterable<Session>, pingIntervalMs: number): () => void {
  let tick = 0;
  const timer = setInterval(
    () => {
      const slot = tick++ % KEEPALIVE_SLOTS;
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
    Math.max(10, Math.floor(pingIntervalMs / KEEPALIVE_SLOTS)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Closes the session at its maximum lifetime or when its token expires, whichever is first.
 * Returns when that is and the cancel (for a connection that ends first).
 */
export function limitLifetime(session: Session, tokenExpiresAtSeconds: number, maxLifetimeMs: number): { expiresAt: Date; cancel: () => void } {
  const untilExpiry = tokenExpiresAtSeconds * 1000 - Date.now();
  const lifetime = Math.min(maxLifetimeMs, untilExpiry);
  const timer = setTimeout(
    () =>
      untilExpiry < maxLifetimeMs
        ? session.close(CloseCode.tokenExpired, 'token expired')
        : session.close(CloseCode.lifetime, 'maximum connection lifetime reached'),
    lifetime,
  );
  timer.unref();
  return { expiresAt: new Date(Date.now() + lifetime), cancel: () => clearTimeout(timer) };
}
