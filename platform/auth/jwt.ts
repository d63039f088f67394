import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config';
import { AppError } from '../errors';

/** What a verified token says about its bearer. */
export interface Principal {
  userId: string;
  /** Token expiry, epoch seconds. */
  expiresAt: number;
  /** OAuth-style scopes from the `scope` claim (space-separated); ordinary user tokens have none. */
  scopes: ReadonlySet<string>;
  claims: JWTPayload;
}

/**
 * Scopes a token may carry. A user token acts on its own subject only; a service token with
 * `notifications:schedule-any` may schedule and manage notifications for any user (a backend that
 * sends on users' behalf). Mint one for development with `npm run -s token -- <service> --scope …`.
 */
export const SCOPES = { scheduleAnyNotification: 'notifications:schedule-any' } as const;

/** May this principal act on `userId`'s resources of a kind guarded by `scope`? */
export const actsFor = (p: Principal, userId: string, scope?: string): boolean => p.userId === userId || (scope !== undefined && p.scopes.has(scope));

/** Verifies bearer tokens: signature, algorithm, `exp`, `nbf`, `iss` and `aud` all checked. */
export type TokenVerifier = (token: string) => Promise<Principal>;

/** A verifier for the configured key: JWKS (RS256/ES256) when JWT_JWKS_URL is set, else HS256. */
export function createTokenVerifier(config: Config): TokenVerifier {
  const options = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, clockTolerance: 5 };
  const jwks: JWTVerifyGetKey | undefined = config.JWT_JWKS_URL ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL)) : undefined;
  const secret = new TextEncoder().encode(config.JWT_SECRET);
  // Tokens already verified, until their expiry: a client sends the same token on every request,
  // and verifying it again (WebCrypto HMAC or RSA through jose) was about a tenth of the API's CPU
  // under load. Only successes are kept, keyed by the whole token (any change to it is a miss).
  const verified = new Map<string, Principal>();
  return async (token) => {
    const known = verified.get(token);
    if (known) {
      if (Date.now() / 1000 < known.expiresAt + options.clockTolerance) return known;
      verified.delete(token);
    }
    const principal = await verify(token);
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, principal);
    return principal;
  };

  async function verify(token: string): Promise<Principal> {
    try {
      // An explicit algorithm list: `alg: none` and algorithm confusion are refused by jose.
      const { payload } = jwks
        ? await jwtVerify(token, jwks, { ...options, algorithms: ['RS256', 'ES256'] })
        : await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('token has no subject');
      if (typeof payload.exp !== 'number') throw new Error('token has no expiry');
      const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []);
      return { userId: payload.sub, expiresAt: payload.exp, scopes, claims: payload };
    } catch (err) {
      throw new AppError(401, 'unauthorized', `invalid token: ${describeJoseError(err)}`, {}, { cause: err });
    }
  }
}

/** At most this many verified tokens are remembered per verifier (the oldest goes first). */
const VERIFIED_TOKENS_KEPT = 10_000;

function describeJoseError(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad signature';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim check failed (${(err as { claim?: string }).claim ?? 'claim'})`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm not allowed';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed';
    default:
      return err instanceof Error ? err.message : 'rejected';
  }
}

/** Signs an HS256 token with the configured secret (development sign-in, tests, benchmarks). */
export async function signToken(
  config: Config,
  userId: string,
  { ttlSeconds = 3600, claims = {} }: { ttlSeconds?: number; claims?: JWTPayload } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(config.JWT_SECRET));
}

/** The bearer token of an `Authorization` header, if it uses the Bearer scheme. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  return authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

/**
 * The token of a WebSocket upgrade: `Authorization: Bearer …`, else the `access_token` query
 * parameter (browsers cannot set headers on a WebSocket). Never for plain HTTP: query strings end up
 * in access logs and browser history.
 */
export function extractUpgradeToken(authorization: string | undefined | null, url: URL): string | undefined {
  return bearerToken(authorization) ?? url.searchParams.get('access_token') ?? undefined;
}
