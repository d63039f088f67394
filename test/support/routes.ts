// In-process route tests: a route module mounted as the API mounts it (the principal set, errors
// answered by the API's handler), with stubbed collaborators. The e2e suites cross the real servers.
import { Hono } from 'hono';
import type { Pool } from 'mysql2/promise';
import { vi } from 'vitest';
import type { ApiVariables } from '../../api/middleware/auth';
import type { Principal } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';
import { notFound, onError } from '../../platform/http/errors';
import { createLogger } from '../../platform/logger';

export const config = loadConfig({ TIDINGS_ENV: 'unit' });
export const log = createLogger('silent');

/** `routes` as user `userId` (with `scopes`), behind the API's error and not-found handlers. */
export function asUser(routes: Hono<{ Variables: ApiVariables }>, userId = 'alice', scopes: string[] = []): Hono<{ Variables: ApiVariables }> {
  const principal: Principal = { userId, expiresAt: Math.floor(Date.now() / 1000) + 60, scopes: new Set(scopes), claims: { sub: userId } };
  const app = new Hono<{ Variables: ApiVariables }>();
  app.use(async (c, next) => {
    c.set('principal', principal);
    c.set('requestId', 'req-unit');
    await next();
  });
  app.route('/', routes);
  app.onError(onError(log));
  app.notFound(notFound);
  return app;
}

/** A MySQL pool that must not be used: every call is recorded, and a query fails the request. */
export function untouchedPool() {
  const query = vi.fn(() => Promise.reject(new Error('unexpected query')));
  const getConnection = vi.fn(() => Promise.reject(new Error('unexpected connection')));
  return { pool: { query, execute: query, getConnection } as unknown as Pool, query, getConnection };
}

/** A Temporal client factory that must not be called. */
export const untouchedTemporal = () => vi.fn(() => Promise.reject(new Error('unexpected Temporal call')));

export const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
