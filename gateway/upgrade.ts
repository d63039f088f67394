// Connection and authentication: an HTTP upgrade becomes a WebSocket only with a valid token, on the
// gateway's path, with a well-formed resume offset; anything else is an HTTP error on the socket.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { extractUpgradeToken, type Principal, type TokenVerifier } from '../platform/auth/jwt';
import { AppError } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { Offset } from './protocol';

/** Where the client left its user channel (`?since=&epoch=`), replayed before live events. */
export interface Resume {
  since?: string;
  epoch?: string;
}

/** Writes an HTTP error on a socket that asked to upgrade, then closes it: no WebSocket is made. */
export function refuseUpgrade(socket: Duplex, status: 400 | 401 | 404 | 503, code: string, message: string, field?: string): undefined {
  const body = JSON.stringify({ error: { code, message, ...(field ? { field } : {}) } });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' }[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}Connection: close\r\n\r\n${body}`,
  );
  return undefined;
}

/**
 * Admits an upgrade: the principal and where to resume, or undefined once the socket has been
 * refused. Never logs the URL or headers: the upgrade may carry the token in its query.
 */
export async function admitUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  opts: { path: string; shuttingDown: boolean; verifyToken: TokenVerifier; log: Logger },
): Promise<{ principal: Principal; resume: Resume } | undefined> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  if (url.pathname !== opts.path) return refuseUpgrade(socket, 404, 'not_found', `WebSocket endpoint is ${opts.path}`);
  if (opts.shuttingDown) return refuseUpgrade(socket, 503, 'shutting_down', 'this gateway instance is shutting down');
  const since = url.searchParams.get('since') ?? undefined;
  const epoch = url.searchParams.get('epoch') ?? undefined;
  if (since !== undefined && !Offset.safeParse(since).success) {
    return refuseUpgrade(socket, 400, 'invalid_request', 'since: expected an offset like 1700000000000-0', 'since');
  }
  const token = extractUpgradeToken(req.headers.authorization, url);
  if (!token) return refuseUpgrade(socket, 401, 'unauthorized', 'missing token: send Authorization: Bearer <jwt> or ?access_token=');
  try {
    return { principal: await opts.verifyToken(token), resume: { since, epoch } };
  } catch (err) {
    const reason = err instanceof AppError ? err.message : 'invalid token';
    opts.log.debug({ reason, remote: req.socket.remoteAddress }, 'upgrade refused');
    return refuseUpgrade(socket, 401, 'unauthorized', reason);
  }
}
