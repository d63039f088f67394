import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Hono } from 'hono';

/** Serves a Hono app; resolves once listening, rejects with a clear message if the port is taken. */
export function listen(app: Hono, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port });
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
