import { z } from 'zod';
import { apiOperations, type Operation } from './operations';

const REASONS: Record<number, string> = {
  400: 'invalid request: malformed JSON, or a field, query parameter or header that fails validation (`error.field` names it, `error.issues` lists all)',
  401: 'missing, expired or invalid bearer token',
  403: 'acting for another user without the service scope',
  404: 'no such resource for this caller (another user’s id answers the same as an unknown one)',
  405: 'the path exists but not with this method (the Allow header lists the methods)',
  409: 'conflicts with the resource’s state, or an Idempotency-Key reused with another body',
  413: 'request body larger than 256 KiB',
  422: 'well-formed but refused: an unknown field, or business rules (unknown product, impossible terms)',
  429: 'rate limited, per IP and per user (Retry-After says when to retry)',
  503: 'a server it needs (the database, Redis, Temporal) is unavailable: `dependency_unavailable` (or `temporal_unavailable`) with `error.dependency` naming it and Retry-After saying when to retry, with the same Idempotency-Key where there is one',
};

/** The JSON error body every route answers with (`platform/http/errors.ts`). */
const ErrorBody = z.object({
  error: z
    .object({
      code: z.string().meta({ examples: ['invalid_request'] }),
      message: z.string(),
      field: z.string().optional().meta({ description: 'the first offending field, parameter or header' }),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
      retryAfterSeconds: z.number().optional(),
      dependency: z.enum(['mysql', 'redis', 'temporal']).optional().meta({ description: 'on a 503: the server that is unavailable' }),
    })
    .catchall(z.unknown()),
});

/** JSON Schema of what the handler accepts (input side: coerced numbers, before transforms). */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

/** `/purchases/:id` → `/purchases/{id}`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operationObject(op: Operation) {
  const parameters: Record<string, unknown>[] = [];
  for (const [name, example] of Object.entries(op.params ?? {})) parameters.push({ name, in: 'path', required: true, schema: { type: 'string' }, example });
  if (op.query) {
    const schema = jsonSchema(op.query.schema) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(schema.properties ?? {})) {
      parameters.push({
        name,
        in: 'query',
        required: schema.required?.includes(name) ?? false,
        schema: s,
        ...(name in op.query.example ? { example: op.query.example[name] } : {}),
      });
    }
  }
  if (op.idempotencyKey) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: op.idempotencyKey === 'required',
      description: 'a retry with the same key and body answers what the first request answered (Idempotent-Replayed: true)',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
      example: 'order-7f3c',
    });
  }
  // Every business route needs the database (or Redis, Temporal): 503 while one is down.
  const statuses = [...new Set([...op.errors, ...(op.auth ? [401, 429, 503] : []), ...(op.body ? [413] : [])])].sort();
  const responses: Record<string, unknown> = {
    [op.success.status]: {
      description: op.success.description,
      content: { [op.success.contentType ?? 'application/json']: { schema: {} } },
    },
  };
  for (const s of statuses) responses[s] = { $ref: `#/components/responses/E${s}` };
  return {
    tags: [op.tag],
    summary: op.summary,
    operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    ...(op.auth ? {} : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: !op.body.optional, content: { 'application/json': { schema: jsonSchema(op.body.schema), example: op.body.example } } } }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the API, generated from the routes' own zod schemas. */
export function openApiDocument(now = Date.now()) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of apiOperations(now)) (paths[openApiPath(op.path)] ??= {})[op.method] = operationObject(op);
  const errorSchema = jsonSchema(ErrorBody);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidings API',
      version: '0.1.0',
      description:
        'Business routes need `Authorization: Bearer <JWT>` (HS256, the configured issuer and audience; `npm run token` makes one in development). ' +
        'Every error is JSON `{ "error": { "code", "message", "field"? } }`. A known path with the wrong method answers 405 with `Allow`; an unknown path 404. ' +
        'Live updates are pushed over the WebSocket gateway (docs/gateway-protocol.md), not this API.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema },
      responses: Object.fromEntries(
        Object.entries(REASONS).map(([s, description]) => [
          `E${s}`,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}
