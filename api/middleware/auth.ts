import type { MiddlewareHandler } from 'hono';
import { bearerToken, type Principal, type TokenVerifier } from '../../platform/auth/jwt';
import { AppError } from '../../platform/errors';

/** Hono variables the API's middleware sets for handlers. */
export interface ApiVariables {
  principal: Principal;
  /** Set for every request by hono/request-id (the caller's X-Request-Id, or a new one). */
  requestId: string;
}

/**
 * The caller of a request, from the bearer token in its Authorization header (signature, exp, iss,
 * aud), or the 401 to answer with and its WWW-Authenticate challenge.
 */
export async function authenticate(
  header: string | undefined,
  verify: TokenVerifier,
): Promise<{ principal: Principal } | { refusal: unknown; challenge: string }> {
  // The header only: a token in the query string would end up in access logs and browser history.
  const token = bearerToken(header);
  if (!token) {
    const scheme = header?.trim().split(/\s+/)[0];
    // Only the scheme is echoed back, never the credentials after it.
    const message = !scheme
      ? 'missing bearer token: send "Authorization: Bearer <token>"'
      : /^bearer$/i.test(scheme)
        ? 'malformed bearer token: send "Authorization: Bearer <token>" with the token as one word'
        : `the Authorization header uses the ${scheme.slice(0, 20)} scheme; send "Authorization: Bearer <token>"`;
    return { refusal: new AppError(401, 'unauthorized', message, { field: 'authorization' }), challenge: 'Bearer' };
  }
  try {
    return { principal: await verify(token) };
  } catch (err) {
    return { refusal: err, challenge: 'Bearer error="invalid_token"' };
  }
}

/** Every route behind it needs a valid bearer token; 401 otherwise (the API's business routes get it from limitAndAuthenticate). */
export function requireJwt(verify: TokenVerifier): MiddlewareHandler<{ Variables: ApiVariables }> {
  return async (c, next) => {
    const auth = await authenticate(c.req.header('authorization'), verify);
    if ('refusal' in auth) {
      c.header('WWW-Authenticate', auth.challenge);
      throw auth.refusal;
    }
    c.set('principal', auth.principal);
    await next();
  };
}
