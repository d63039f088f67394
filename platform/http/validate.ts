import type { Context as HonoContext } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors';
import { unknownFieldError, validationError } from './errors';

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
  const [first, ...rest] = unknownFields(schema, raw);
  if (first !== undefined) throw unknownFieldError([first, ...rest]);
  return parsed.data;
}

/** Top-level body fields the schema does not know (refused: unknownFieldError). */
function unknownFields(schema: z.ZodType, raw: unknown): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  if (!shape || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  return Object.keys(raw).filter((k) => !(k in shape));
}
