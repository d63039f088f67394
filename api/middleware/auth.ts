import type { MiddlewareHandler } from 'hono';
import { extractToken, type Principal, type TokenVerifier } from '../../platform/auth/jwt';
import { AppError } from '../../platform/errors';

/** Hono variables the API's middleware sets for handlers. */
export interface ApiVariables {
  principal: Principal;
  /** Set for every request by hono/request-id (the caller's X-Request-Id, or a new one). */
  requestId: string;
}

/** Every API route behind it needs a valid bearer token (signature, exp, iss, aud); 401 otherwise. */
export function requireJwt(verify: TokenVerifier): MiddlewareHandler<{ Variables: ApiVariables }> {
  return async (c, next) => {
    const token = extractToken(c.req.header('authorization'), new URL(c.req.url));
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new AppError(401, 'unauthorized', 'missing bearer token', { field: 'authorization' });
    }
    try {
      c.set('principal', await verify(token));
    } catch (err) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw err;
    }
    await next();
  };
}
