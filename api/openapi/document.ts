import { z } from 'zod';
import { IDEMPOTENCY_KEY_PATTERN } from '../../platform/db/idempotency';
import type { Product } from '../../domain/purchase-quote';
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
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

/** `/purchases/:id` → `/purchases/{id}`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** `post` `/purchases/:id/cancel` → `postPurchasesIdCancel`. */
export const operationId = (method: string, path: string) =>
  `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`;

/**
 * What the quote refuses for each product of the catalogue (amount limits → quantities, the most
 * installments), as JSON Schema: one `anyOf` branch per product a purchase can be made of.
 */
export function catalogueRules(products: Product[]): Record<string, unknown> {
  const branches = products.flatMap((p) => {
    const minQuantity = Math.max(1, Math.ceil(p.minAmountCents / p.priceCents));
    const maxQuantity = Math.min(10_000, Math.floor(p.maxAmountCents / p.priceCents));
    if (minQuantity > maxQuantity) return [];
    return [
      {
        properties: {
          productId: { const: p.productId },
          quantity: { minimum: minQuantity, maximum: maxQuantity },
          installments: { maximum: p.maxInstallments },
        },
      },
    ];
  });
  return {
    description: "productId is one of GET /products; quantity keeps the amount within the product's limits; installments at most the product's maximum",
    anyOf: branches,
  };
}

/** The body schema: top-level fields the route does not know are refused (422 `unknown_field`). */
function bodySchema(op: Operation, products: Product[] | undefined): Record<string, unknown> {
  const schema = jsonSchema(op.body!.schema);
  if (schema.type === 'object' && !('additionalProperties' in schema)) schema.additionalProperties = false;
  return op.catalogueRules && products?.length ? { ...schema, ...catalogueRules(products) } : schema;
}

function operationObject(op: Operation, products: Product[] | undefined) {
  const parameters: Record<string, unknown>[] = [];
  for (const [name, example] of Object.entries(op.params ?? {})) {
    const paramSchema = op.paramSchemas?.[name];
    parameters.push({ name, in: 'path', required: true, schema: paramSchema ? jsonSchema(paramSchema) : { type: 'string' }, example });
  }
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
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
      example: 'order-7f3c',
    });
  }
  // Every business route needs the database (or Redis, Temporal): 503 while one is down.
  const statuses = [...new Set([...op.errors, ...(op.auth ? [401, 429, 503] : []), ...(op.body ? [413] : [])])].sort();
  const links = Object.entries(op.links ?? {}).map(([name, link]) => {
    const [method, path] = link.to.split(' ') as [string, string];
    return [
      name,
      {
        operationId: operationId(method, path),
        description: link.description,
        ...(link.parameters ? { parameters: link.parameters } : {}),
        ...(link.requestBody !== undefined ? { requestBody: link.requestBody } : {}),
      },
    ] as const;
  });
  const responses: Record<string, unknown> = {
    [op.success.status]: {
      description: op.success.description,
      content: { [op.success.contentType ?? 'application/json']: { schema: op.success.schema ? jsonSchema(op.success.schema, 'output') : {} } },
      ...(links.length ? { links: Object.fromEntries(links) } : {}),
    },
  };
  for (const s of statuses) responses[s] = { $ref: `#/components/responses/E${s}` };
  return {
    tags: [op.tag],
    summary: op.summary,
    operationId: operationId(op.method, op.path),
    ...(op.auth ? {} : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: !op.body.optional, content: { 'application/json': { schema: bodySchema(op, products), example: op.body.example } } } }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the API, generated from the routes' own zod schemas, and from the
 * catalogue for what a purchase may be (`products`; without it, those rules are left out).
 */
export function openApiDocument(now = Date.now(), products?: Product[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of apiOperations(now)) (paths[openApiPath(op.path)] ??= {})[op.method] = operationObject(op, products);
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
