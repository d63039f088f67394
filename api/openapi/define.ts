import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import { z } from 'zod';
import { IDEMPOTENCY_KEY_PATTERN } from '../../platform/db/idempotency';
import { AppError } from '../../platform/errors';
import { unknownFieldError, validationError } from '../../platform/http/errors';
import type { ApiVariables } from '../middleware/auth';

// The pieces every route definition (`createRoute`) is written with. A route's zod schemas are
// both what its handler receives validated (`c.req.valid('json')`) and what /openapi.json states
// (document.ts generates it from the routes registered with `app.openapi`): one copy.

const WHERE = { json: 'body', form: 'body', query: 'query', param: 'param', header: 'header', cookie: 'header' } as const;

/**
 * The result of every route's validation: a failure is our 400 naming the field (not
 * zod-openapi's default body), and a body field the schema does not know is 422 `unknown_field`:
 * refused rather than dropped, since a misspelt optional field (`quantitty`) would otherwise be
 * ignored without a word. Unknown = a top-level key of the body that zod's parse dropped.
 */
export const refuseInvalid: Hook<unknown, { Variables: ApiVariables }, string, unknown> = async (result, c) => {
  const where = WHERE[result.target];
  if (!result.success) throw validationError(result.error as z.ZodError, where);
  if (result.target !== 'json') return;
  const raw: unknown = await c.req.json();
  const parsed = result.data;
  if (!isPlainObject(raw) || !isPlainObject(parsed)) return;
  const [first, ...rest] = Object.keys(raw).filter((k) => !(k in parsed));
  if (first !== undefined) throw unknownFieldError([first, ...rest]);
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A sub-app whose routes are defined with `createRoute` and registered with `.openapi(route, handler)`. */
export function documentedRoutes(): OpenAPIHono<{ Variables: ApiVariables }> {
  return new OpenAPIHono<{ Variables: ApiVariables }>({ defaultHook: refuseInvalid });
}

/** Open to anyone (no bearer token): the operations, the web app, the document itself. */
export const OPEN: { security: [] } = { security: [] };

/** A JSON request body validated by `schema`, with an example (shown by /docs, tried by the contract run). */
export const jsonBody = <S extends z.ZodType>(schema: S, example: z.input<S>, { optional = false } = {}) => ({
  required: !optional,
  content: { 'application/json': { schema, example } },
});

/** The `Idempotency-Key` request header: a retry with the same key and body answers what the first answered. */
const IdempotencyKey = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, 'must be 1-128 visible ASCII characters')
  .meta({ description: 'a retry with the same key and body answers what the first request answered (Idempotent-Replayed: true)', example: 'order-7f3c' });
export const idempotencyKeyHeader = {
  required: z.object({ 'Idempotency-Key': IdempotencyKey }),
  optional: z.object({ 'Idempotency-Key': IdempotencyKey.optional() }),
};

/** The id in the examples of routes on one resource. */
export const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

/** `{id}` in the path: any string unless `schema` says more (an unknown id is the route's own 404), with an example. */
export const idParam = (example: string = PLACEHOLDER_ID, schema: z.ZodString = z.string()) => z.object({ id: schema.meta({ example }) });

/** The success response: its description, and where documented, the schema of its body and the links it feeds. */
export const success = (
  description: string,
  { schema, contentType = 'application/json', links }: { schema?: z.ZodType; contentType?: string; links?: Record<string, Link> } = {},
) => ({ description, content: { [contentType]: { schema: schema ?? {} } }, ...(links ? { links } : {}) });

/**
 * Error responses by status, each the shared error body (`components.responses.E<status>`). Every
 * route behind the bearer token answers 401, 429 and 503 too, and one with a body 413 and 415: the
 * document adds those.
 */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, { $ref: `#/components/responses/E${s}` }]));

/** An OpenAPI link: the operation (`<method> <Hono path>`, e.g. `get /purchases/:id`) that takes what this response returns. */
export interface Link {
  operationId: string;
  description: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
}

/** `post` `/purchases/:id/cancel` → `postPurchasesIdCancel` (also `{id}`). */
export const operationId = (method: string, path: string) =>
  `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`;

/**
 * A link from this response to `to` (`<method> <Hono path>`); values are runtime expressions such as
 * `$response.body#/purchaseId`. Clients and Schemathesis' stateful phase follow them to reach a real
 * resource instead of a 404.
 */
export function link(to: string, description: string, values: { parameters?: Record<string, string>; requestBody?: unknown }): Link {
  const [method, path] = to.split(' ') as [string, string];
  return { operationId: operationId(method, path), description, ...values };
}

/** A link that feeds the `id` path parameter of `to` from a field of this response (a JSON pointer). */
export const idLink = (to: string, description: string, pointer: string) => link(to, description, { parameters: { id: `$response.body#${pointer}` } });
