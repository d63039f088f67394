import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Product } from '../../domain/purchase-quote';
import { operationId } from './define';

const REASONS: Record<number, string> = {
  400: 'invalid request: malformed JSON, or a field, query parameter or header that fails validation (`error.field` names it, `error.issues` lists all)',
  401: 'missing, expired or invalid bearer token',
  403: 'acting for another user without the service scope',
  404: 'no such resource for this caller (another user’s id answers the same as an unknown one)',
  405: 'the path exists but not with this method (the Allow header lists the methods)',
  409: 'conflicts with the resource’s state, or an Idempotency-Key reused with another body',
  413: 'request body larger than 256 KiB',
  415: 'a request body that is not `application/json`',
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

/** Marks a route (`createRoute({ ..., [CATALOGUE_RULES]: true })`) whose body the catalogue constrains further. */
export const CATALOGUE_RULES = 'x-catalogue-rules';

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

type JsonSchema = Record<string, unknown>;
const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;

/**
 * JSON Schema of a zod schema by zod's own converter: what a request may be (`input`: coerced
 * numbers, before transforms) or what a response is (`output`). zod-to-openapi's converter (behind
 * `getOpenAPI31Document`) drops rules the server enforces (a second regex on a string, the pattern
 * of an ISO date or a uuid), which the contract run would then find refused although documented.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

/** One parameter per property of a route's params, query or headers object; the example of each beside it. */
function parameters(where: 'path' | 'query' | 'header', schema: unknown): JsonSchema[] {
  if (!isZod(schema)) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, { example, ...property }]) => {
    // A header's description says what the header is for: the parameter's, not its value's.
    const { description, ...headerSchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required?.includes(name) ?? false),
      ...(where === 'header' ? { description, schema: headerSchema } : { schema: property }),
      ...(example === undefined ? {} : { example }),
    };
  });
}

/** A request body or response's content, its zod schemas as JSON Schema. */
function content(media: object | undefined, io: 'input' | 'output') {
  return Object.fromEntries(
    Object.entries((media ?? {}) as Record<string, { schema?: unknown } | undefined>).map(([type, m]) => [
      type,
      { ...m, schema: isZod(m?.schema) ? jsonSchema(m.schema, io) : (m?.schema ?? {}) },
    ]),
  );
}

/** The OpenAPI operation a route definition describes. */
function operationOf({ method: _m, path: _p, request, responses, ...rest }: RouteConfig): Operation {
  const params = [...parameters('path', request?.params), ...parameters('query', request?.query), ...parameters('header', request?.headers)];
  return {
    ...rest,
    ...(params.length ? { parameters: params } : {}),
    ...(request?.body ? { requestBody: { required: request.body.required ?? false, content: content(request.body.content, 'input') } } : {}),
    responses: Object.fromEntries(
      Object.entries(responses).map(([status, r]) => [status, '$ref' in r ? r : { ...r, ...(r.content ? { content: content(r.content, 'output') } : {}) }]),
    ),
  } as Operation;
}

interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
  [CATALOGUE_RULES]?: boolean;
}

/**
 * What every operation answers besides its own: an operation behind the bearer token 401, 429 and
 * 503 (the guard's, and every business route needs the database, Redis or Temporal); one with a
 * body 413 and 415 (the API's limits); a body's top-level fields the route does not know 422
 * (`additionalProperties: false`); and its operationId, from its method and path.
 */
function completeOperation(method: string, path: string, op: Operation, products: Product[] | undefined): void {
  op.operationId ??= operationId(method, path);
  const implied = [...(op.security?.length === 0 ? [] : [401, 429, 503]), ...(op.requestBody ? [413, 415] : [])];
  for (const s of implied) op.responses[s] ??= { $ref: `#/components/responses/E${s}` };
  const body = op.requestBody?.content['application/json'];
  if (body?.schema.type === 'object' && !('additionalProperties' in body.schema)) body.schema.additionalProperties = false;
  if (body && op[CATALOGUE_RULES] && products?.length) body.schema = { ...body.schema, ...catalogueRules(products) };
  delete op[CATALOGUE_RULES];
}

/**
 * The OpenAPI 3.1 document of `app`, generated from its routes' definitions (`createRoute`: the zod
 * schemas their handlers validate with), and from the catalogue for what a purchase may be
 * (`products`; without it, those rules are left out).
 */
export function openApiDocument(app: Pick<OpenAPIHono, 'openAPIRegistry'>, products?: Product[]) {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const op = operationOf(def.route);
    completeOperation(def.route.method, def.route.path, op, products);
    (paths[def.route.path] ??= {})[def.route.method] = op;
  }
  const { $schema: _, ...errorSchema } = z.toJSONSchema(ErrorBody, { io: 'input', unrepresentable: 'any' });
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
