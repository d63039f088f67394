import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Principal } from '../platform/auth/jwt';
import { AppError } from '../platform/errors';
import { createLogger } from '../platform/logger';
import { admitUpgrade } from './upgrade';

// Admission on its own, with a stub socket (gateway.test.ts connects real clients).
const principal: Principal = { userId: 'alice', expiresAt: 2_000_000_000, scopes: new Set(), claims: {} };
const log = createLogger('silent');

async function admit(url: string, opts: { authorization?: string; shuttingDown?: boolean; verify?: () => Promise<Principal> } = {}) {
  const socket = { end: vi.fn() };
  const req = { url, headers: { authorization: opts.authorization }, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  const verifyToken = vi.fn(opts.verify ?? (() => Promise.resolve(principal)));
  const admitted = await admitUpgrade(req, socket as unknown as Duplex, { path: '/ws', shuttingDown: opts.shuttingDown ?? false, verifyToken, log });
  const response = String(socket.end.mock.calls[0]?.[0] ?? '');
  return { admitted, response, verifyToken };
}

describe('admitUpgrade', () => {
  it('admits a valid token with where to resume, writing nothing on the socket', async () => {
    const { admitted, response } = await admit('/ws?since=1700000000000-0&epoch=e1', { authorization: 'Bearer t' });
    expect(admitted).toEqual({ principal, resume: { since: '1700000000000-0', epoch: 'e1' } });
    expect(response).toBe('');
  });

  it('refuses another path with 404, a shutting-down instance with 503, before reading any token', async () => {
    const other = await admit('/other', { authorization: 'Bearer t' });
    expect(other.admitted).toBeUndefined();
    expect(other.response).toMatch(/^HTTP\/1\.1 404 /);
    const closing = await admit('/ws', { authorization: 'Bearer t', shuttingDown: true });
    expect(closing.response).toMatch(/^HTTP\/1\.1 503 /);
    expect(closing.verifyToken).not.toHaveBeenCalled();
  });

  it('refuses a malformed since with 400 naming it', async () => {
    const { response } = await admit('/ws?since=yesterday', { authorization: 'Bearer t' });
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('"field":"since"');
  });

  it('refuses a missing or bad token with 401 and WWW-Authenticate, saying why', async () => {
    const missing = await admit('/ws');
    expect(missing.response).toMatch(/^HTTP\/1\.1 401 [\s\S]*WWW-Authenticate: Bearer/);
    const bad = await admit('/ws', { authorization: 'Bearer t', verify: () => Promise.reject(new AppError(401, 'unauthorized', 'token expired')) });
    expect(bad.admitted).toBeUndefined();
    expect(bad.response).toContain('token expired');
  });
});
