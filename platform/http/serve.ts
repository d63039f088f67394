import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Hono } from 'hono';

/**
 * Idle keep-alive connections are kept this long. Node's default (5 s) is shorter than what clients
 * and proxies keep an idle connection for (load balancers typically 60 s, e.g. AWS ALB; client pools
 * seconds to minutes), so a client could send on a connection the server was closing at that moment:
 * "socket hang up" / ECONNRESET. The side that closes first must be the client, so the server waits
 * longer than any of them.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Longer than the keep-alive timeout, or a slow request's headers on a reused connection are cut off. */
export const HEADERS_TIMEOUT_MS = 66_000;

/** Serves a Hono app; resolves once listening, rejects with a clear message if the port is taken. */
export function listen(app: Hono, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port });
    (server as Server).keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    (server as Server).headersTimeout = HEADERS_TIMEOUT_MS;
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${hostname}:${port} is already in use`, { cause: err }) : err),
    );
    server.once('listening', () => resolve(server));
  });
}

/** Stops accepting, lets in-flight requests finish, then drops idle keep-alive sockets. */
export function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    (server as Server).closeIdleConnections?.();
  });
}

/** The port a server actually listens on (useful with port 0 in tests). */
export function boundPort(server: ServerType): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return address.port;
}
