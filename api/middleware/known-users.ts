import type { MiddlewareHandler } from 'hono';
import type { Pool } from 'mysql2/promise';
import { withTimeout } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { rememberUser } from '../../stores/users';
import type { ApiVariables } from './auth';

/**
 * Records the caller as a known user (so others can start a conversation with them), once per
 * process: a user seen before costs nothing. Best effort: MySQL slow or down never fails the request.
 */
export function rememberUsers({ mysql, log, max = 100_000 }: { mysql: () => Pool; log: Logger; max?: number }): MiddlewareHandler<{ Variables: ApiVariables }> {
  const seen = new Set<string>();
  return async (c, next) => {
    const user = c.get('principal').userId;
    if (!seen.has(user)) {
      try {
        await withTimeout('recording the user', 1_000, rememberUser(mysql(), user));
        if (seen.size >= max) seen.clear();
        seen.add(user);
      } catch (err) {
        log.warn({ err }, 'could not record the user as known (tried again on their next request)');
      }
    }
    await next();
  };
}
