import type { z } from 'zod';
import { PoisonMessageError } from '../platform/errors';

/**
 * Parses a broker message as JSON against `schema`. Anything that cannot parse is poison (retrying
 * cannot fix it): the reason names the first offending field, prefixed with `what` if given.
 */
export function parseRecord<T>(schema: z.ZodType<T>, raw: string, what?: string): T {
  const prefix = what ? `${what}: ` : '';
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new PoisonMessageError(`${prefix}not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PoisonMessageError(`${prefix}${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
