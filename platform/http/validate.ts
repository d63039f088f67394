import type { Context as HonoContext } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors';
import { validationError } from './errors';

/**
 * Parses the JSON body against `schema`; malformed JSON or a bad field is a 400 naming the field.
 * With `optional`, an empty body is parsed as `{}`.
 */
export async function jsonBody<S extends z.ZodType>(c: HonoContext, schema: S, { optional = false } = {}): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = optional && text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new AppError(400, 'invalid_json', 'request body is not valid JSON', { field: 'body' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error, 'body');
  const unknown = unknownFields(schema, raw);
  if (unknown.length) {
    throw new AppError(
      422,
      'unknown_field',
      `${unknown[0]} is not a field of this request${unknown.length > 1 ? ` (nor ${unknown.slice(1).join(', ')})` : ''}`,
      { field: unknown[0], fields: unknown },
    );
  }
  return parsed.data;
}

/**
 * Top-level body fields the schema does not know. Refused rather than ignored: a misspelt optional
 * field (`quantitty`) would otherwise be dropped without a word.
 */
function unknownFields(schema: z.ZodType, raw: unknown): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  if (!shape || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  return Object.keys(raw).filter((k) => !(k in shape));
}
