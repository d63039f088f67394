import type { MiddlewareHandler } from 'hono';
import { bearerToken, type Principal, type TokenVerifier } from '../../platform/auth/jwt';
import { AppError } from '../../platform/errors';

/** Hono variables the API's middleware sets for handlers. */
export interface ApiVariables {
  principal: Principal;
  /** Set for every request by hono/request-id (the caller's X-Request-Id, or a new one). */
  requestId: string;
}

/** Every API route behind it needs a valid bearer token in the Authorization header (signature, exp, iss, aud); 401 otherwise. */
export function requireJwt(verify: TokenVerifier): MiddlewareHandler<{ Variables: ApiVariables }> {
  return async (c, next) => {
    // The header only: a token in the query string would end up in access logs and browser history.
    const header = c.req.header('authorization');
    const token = bearerToken(header);
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer');
      const scheme = header?.trim().split(/\s+/)[0];
      // Only the scheme is echoed back, never the credentials after it.
      const message = !scheme
        ? 'missing bearer token: send "Authorization: Bearer <token>"'
        : /^bearer$/i.test(scheme)
          ? 'malformed bearer token: send "Authorization: Bearer <token>" with the token as one word'
          : `the Authorization header uses the ${scheme.slice(0, 20)} scheme; send "Authorization: Bearer <token>"`;
      throw new AppError(401, 'unauthorized', message, { field: 'authorization' });
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
