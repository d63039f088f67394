import type { Context as HonoContext, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { AppError } from '../errors';
import type { Logger } from '../logger';

/** The JSON error body every HTTP role answers with: a stable code, a message, and the field. */
export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}

/** zod's wording for a type mismatch, said for people: "is required", "must be a number". */
function humanMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    // zod does not hand back the input; its message says what it received.
    if (/received undefined$/.test(issue.message)) return 'is required';
    return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  }
  return issue.message;
}

/** Turns a zod failure into a 400 that names the first offending field (and lists all). */
export function validationError(error: z.ZodError, where: 'body' | 'query' | 'param' | 'header' = 'body'): AppError {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || where, message: humanMessage(i) }));
  const first = issues[0] ?? { field: where, message: 'invalid' };
  const sentence = /^(is|must)\b/.test(first.message) ? `${first.field} ${first.message}` : `${first.field}: ${first.message}`;
  return new AppError(400, 'invalid_request', sentence, { field: first.field, issues });
}

/** Central error handler: known errors keep their status; anything else is logged and is a plain 500. */
export function onError(log: Logger): ErrorHandler {
  return (err: Error, c: HonoContext) => {
    if (err instanceof AppError) return c.json(err.toJSON(), err.status);
    if (err instanceof z.ZodError) {
      const e = validationError(err);
      return c.json(e.toJSON(), e.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'http_error';
      return c.json(errorBody(code, err.message || 'request rejected'), status);
    }
    log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json(errorBody('internal', 'internal server error'), 500);
  };
}

/** 404 as JSON, naming the path. */
export const notFound: NotFoundHandler = (c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
