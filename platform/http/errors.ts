import type { Context as HonoContext, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { Counter } from 'prom-client';
import { DependencyUnavailableError, unavailableDependency } from '../dependency-errors';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { metrics } from '../metrics';

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

/**
 * 422 for top-level body fields the schema does not know: refused rather than ignored, since a
 * misspelt optional field (`quantitty`) would otherwise be dropped without a word.
 */
export function unknownFieldError(unknown: [string, ...string[]]): AppError {
  const [first, ...rest] = unknown;
  return new AppError(422, 'unknown_field', `${first} is not a field of this request${rest.length > 0 ? ` (nor ${rest.join(', ')})` : ''}`, {
    field: first,
    fields: unknown,
  });
}

/** Turns a zod failure into a 400 that names the first offending field (and lists all). */
export function validationError(error: z.ZodError, where: 'body' | 'query' | 'param' | 'header' = 'body'): AppError {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || where, message: humanMessage(i) }));
  const first = issues[0] ?? { field: where, message: 'invalid' };
  const sentence = /^(is|must)\b/.test(first.message) ? `${first.field} ${first.message}` : `${first.field}: ${first.message}`;
  return new AppError(400, 'invalid_request', sentence, { field: first.field, issues });
}

/** Requests answered 503 because a server they needed was down, by dependency. */
const unavailableTotal = new Counter({
  name: 'tidings_dependency_unavailable_total',
  help: 'Requests answered 503 because a dependency (mysql, redis, temporal, jaeger) was unavailable',
  labelNames: ['dependency'] as const,
  registers: [metrics],
});

export interface OnErrorOptions {
  /** Retry-After (seconds) of a 503: how soon a client should try again during an outage. */
  retryAfterSeconds?: number;
}

/**
 * Central error handler: known errors keep their status; a dependency outage (MySQL, Redis or
 * Temporal unreachable, recognised by `unavailableDependency`) is 503 `dependency_unavailable` with
 * Retry-After, as is every other 503; anything else is logged and is a plain 500.
 */
export function onError(log: Logger, { retryAfterSeconds = 5 }: OnErrorOptions = {}): ErrorHandler {
  const unavailable = (c: HonoContext, e: AppError) => {
    c.header('Retry-After', String(retryAfterSeconds));
    return c.json(errorBody(e.code, e.message, { ...e.details, retryAfterSeconds }), 503);
  };
  return (err: Error, c: HonoContext) => {
    if (err instanceof AppError && err.status !== 503) return c.json(err.toJSON(), err.status);
    if (err instanceof z.ZodError) {
      const e = validationError(err);
      return c.json(e.toJSON(), e.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      // What a route's validators (zod-openapi's) refuse before any schema: a body that is not JSON
      // (400; the only HTTPException 400 raised here), or not sent as JSON (415).
      if (status === 400) return c.json(errorBody('invalid_json', 'request body is not valid JSON', { field: 'body' }), status);
      if (status === 415) return c.json(errorBody('unsupported_media_type', 'send the body as application/json', { field: 'content-type' }), status);
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'http_error';
      return c.json(errorBody(code, err.message || 'request rejected'), status);
    }
    // A route's own 503 (e.g. temporal_unavailable: recorded, its run not started) keeps its code.
    if (err instanceof AppError) {
      if (err instanceof DependencyUnavailableError) unavailableTotal.inc({ dependency: err.dependency });
      return unavailable(c, err);
    }
    const dependency = unavailableDependency(err);
    if (dependency) {
      unavailableTotal.inc({ dependency });
      // Not a bug, but never silent: the cause is in the log, one warning per refused request.
      log.warn({ err, dependency, method: c.req.method, path: c.req.path }, `${dependency} unavailable: answered 503`);
      return unavailable(c, new DependencyUnavailableError(dependency, { cause: err }));
    }
    log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json(errorBody('internal', 'internal server error'), 500);
  };
}

/** 404 as JSON, naming the path. */
export const notFound: NotFoundHandler = (c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
