import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../platform/auth/jwt';
import type { Context } from '../../runtime/context';
import { testContext, uniqueId } from '../../test/support/context';
import { startWorker } from '../../worker';
import { createApiApp } from '../app';
import { IDEMPOTENCY_KEY_PATTERN } from '../../platform/db/idempotency';
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { z } from 'zod';
import { operationId, PLACEHOLDER_ID } from './define';

/** `/purchases/:id` → `/purchases/{id}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

interface Parameter {
  name: string;
  in: string;
  example?: unknown;
}

interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { security?: unknown[]; parameters?: Parameter[]; requestBody?: { content: Record<string, { example: unknown }> }; responses: Record<string, unknown> }
    >
  >;
  components: { responses: Record<string, unknown>; securitySchemes: Record<string, { scheme: string }> };
}

/** A route as defined (createRoute), with the zod schemas its handler is validated with. */
const bodySchema = (route: RouteConfig) => route.request?.body?.content['application/json'] as { schema: z.ZodType; example: unknown } | undefined;

// The document against the app it describes, over the real servers: every route Hono registered is
// documented (and nothing else is), every example passes its route's own zod schema, and a request
// built from each example gets past the route's validation in-process.
describe('OpenAPI document', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let doc: OpenApiDoc;
  /** The app's route definitions: what the document is generated from. */
  let routes: RouteConfig[];
  beforeAll(async () => {
    ctx = testContext({ DEV_SIGN_IN: 'true', API_RATE_LIMIT_PER_USER: '100000', API_RATE_LIMIT_PER_IP: '100000' });
    // A purchase's cancel goes through its run: a worker carries it out.
    await startWorker(ctx);
    app = createApiApp(ctx);
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDoc;
    routes = (app as unknown as OpenAPIHono).openAPIRegistry.definitions.flatMap((d) => (d.type === 'route' ? [d.route] : []));
  });
  afterAll(async () => {
    await ctx?.lifecycle.close();
  });

  it('is OpenAPI 3.1 with every route of the app (method and path) and no route the app lacks', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const registered = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`))].sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(registered);
  });

  it('documents the bearer JWT on business routes, none on open ones, and the error responses', () => {
    expect(doc.components.securitySchemes.bearer?.scheme).toBe('bearer');
    expect(doc.paths['/purchases']!.post!.security).toBeUndefined();
    expect(doc.paths['/purchases']!.post!.responses).toHaveProperty('401');
    expect(doc.paths['/purchases']!.post!.responses).toHaveProperty('429');
    expect(doc.paths['/purchases/{id}/cancel']!.post!.responses).toHaveProperty('409');
    expect(doc.paths['/health']!.get!.security).toEqual([]);
    for (const s of ['400', '401', '403', '404', '405', '409', '422', '429', '503']) expect(doc.components.responses).toHaveProperty(`E${s}`);
  });

  /** The document's operation of a route definition. */
  const operation = (route: RouteConfig) => doc.paths[route.path]![route.method]!;
  /** A parameter's example values, by name. */
  const examples = (route: RouteConfig, where: string) =>
    Object.fromEntries((operation(route).parameters ?? []).filter((p) => p.in === where && p.example !== undefined).map((p) => [p.name, String(p.example)]));

  it("every example validates against its route's zod schema, and the document carries it", () => {
    for (const route of routes) {
      const body = bodySchema(route);
      if (body) {
        expect(body.schema.safeParse(body.example).error, `${route.method} ${route.path} body`).toBeUndefined();
        expect(operation(route).requestBody!.content['application/json']!.example).toEqual(body.example);
      }
      const query = route.request?.query as z.ZodType | undefined;
      if (query) expect(query.safeParse(examples(route, 'query')).error, `${route.method} ${route.path} query`).toBeUndefined();
      for (const [name, example] of Object.entries(examples(route, 'path'))) expect(example, `${route.method} ${route.path} ${name}`).toBeTruthy();
    }
    // A schema that refuses a bad example is what the check above relies on.
    const purchase = bodySchema(routes.find((r) => r.method === 'post' && r.path === '/purchases')!)!;
    expect(purchase.schema.safeParse({ ...(purchase.example as object), quantity: 0 }).success).toBe(false);
  });

  /** The route's validation refused the request (as opposed to a business answer such as 404 or 409). */
  const refusedInput = (status: number, body: { error?: { code?: string } }) =>
    status === 400 || status === 401 || status === 413 || (status === 422 && body.error?.code === 'unknown_field');

  it('a request built from each example gets past its route’s validation', async () => {
    // The examples' user and notification ids are made unique to this run, and the placeholder
    // resource id is replaced by one this test created, so that routes which look the resource up
    // get past the lookup (not a 404) to what they do with the body.
    const user = uniqueId('openapi');
    const token = await signToken(ctx.config, user);
    const created: Record<string, string> = {};
    const tried: string[] = [];
    // The conversation example's member must be a user the API knows (one who has called it).
    await app.request('/conversations', { headers: { authorization: `Bearer ${await signToken(ctx.config, 'bob')}` } });
    for (const route of routes) {
      // POST /ping waits for its workflow's result, which needs a running worker; its example is
      // checked against the schema above and its validation by api/ping/routes.test.ts.
      if (route.path === '/ping') continue;
      const op = operation(route);
      const tag = route.tags![0]!;
      const body = bodySchema(route);
      const unique = <T>(v: T, id?: string): T =>
        JSON.parse(
          JSON.stringify(v)
            .replaceAll('alice', user)
            .replaceAll('welcome-4', `${user}-`)
            .replaceAll(PLACEHOLDER_ID, id ?? PLACEHOLDER_ID),
        ) as T;
      let url = route.path;
      for (const [k, v] of Object.entries(unique(examples(route, 'path'), created[tag]))) url = url.replace(`{${k}}`, encodeURIComponent(v));
      const query = examples(route, 'query');
      if (Object.keys(query).length) url += `?${new URLSearchParams(unique(query)).toString()}`;
      const headers: Record<string, string> = op.security?.length === 0 ? {} : { authorization: `Bearer ${token}` };
      if (op.parameters?.some((p) => p.name === 'Idempotency-Key')) headers['idempotency-key'] = uniqueId('k');
      if (body) headers['content-type'] = 'application/json';
      const res = await app.request(url, {
        method: route.method.toUpperCase(),
        headers,
        body: body ? JSON.stringify(unique(body.example, created.message)) : undefined,
      });
      const text = await res.text();
      const answer = (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as { error?: { code?: string } } & Record<string, unknown>;
      expect(refusedInput(res.status, answer), `${route.method.toUpperCase()} ${url} → ${res.status} ${text.slice(0, 300)}`).toBe(false);
      for (const [key, kind] of [
        ['purchaseId', 'purchases'],
        ['eventId', 'events'],
        ['conversationId', 'conversations'],
        ['messageId', 'message'],
      ] as const) {
        if (route.method === 'post' && typeof answer[key] === 'string') created[kind] ??= answer[key];
      }
      tried.push(`${route.method} ${url} ${res.status}`);
    }
    // The routes behind a lookup were reached with a real resource (not a 404).
    expect(tried).toContain(`post /conversations/${created.conversations}/messages 202`);
    expect(tried).toContain(`post /conversations/${created.conversations}/read 200`);
    // Fulfillment does not run here: the purchase is still cancellable (PENDING, through its run).
    expect(tried).toContain(`post /purchases/${created.purchases}/cancel 200`);
    expect(tried).toContain(`get /events/${created.events} 200`);
    expect(tried.length).toBe(routes.length - 1);
    // The same check tells a refused request apart: a misspelt field is refused.
    const res = await app.request('/purchases/simulate', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ productId: 'phone-x', quantity: 1, installments: 1, quantitty: 2 }),
    });
    expect(refusedInput(res.status, (await res.json()) as { error?: { code?: string } })).toBe(true);
  });

  // What Schemathesis found (issue #32), one check per class: the document states every constraint
  // the server enforces, and links every id a response returns to the operations that take it.
  it('states what the server refuses: unknown fields, the idempotency key pattern, user ids, cursors, the catalogue limits', () => {
    type Schema = { additionalProperties?: unknown; anyOf?: { properties: Record<string, { const?: string; maximum?: number; minimum?: number }> }[] };
    type Param = { name: string; in: string; schema: { pattern?: string } };
    type Op = { requestBody?: { content: Record<string, { schema: Schema }> }; parameters?: Param[] };
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item)) as unknown as Op[];
    // 422 unknown_field on every route with a body: no extra property is allowed.
    for (const op of ops) {
      const schema = op.requestBody?.content['application/json']?.schema;
      if (schema) expect(schema.additionalProperties).toBe(false);
    }
    // One pattern for the Idempotency-Key everywhere, the one the server checks.
    const keys = ops.flatMap((op) => op.parameters ?? []).filter((p) => p.name === 'Idempotency-Key');
    expect(keys.length).toBe(3);
    for (const k of keys) expect(k.schema.pattern).toBe(IDEMPOTENCY_KEY_PATTERN.source);
    const prefs = doc.paths['/users/{id}/notification-preferences']!.put as unknown as Op;
    expect(prefs.parameters!.find((p) => p.name === 'id')!.schema.pattern).toBe('^[\\x21-\\x7e]{1,128}$');
    const cursor = (doc.paths['/purchases']!.get as unknown as Op).parameters!.find((p) => p.name === 'cursor')!;
    expect(new RegExp(cursor.schema.pattern!).test('0'.repeat(200))).toBe(false);
    // The catalogue's limits, per product, as the quote applies them.
    const purchase = (doc.paths['/purchases']!.post as unknown as Op).requestBody!.content['application/json']!.schema;
    const phone = purchase.anyOf!.find((b) => b.properties.productId!.const === 'phone-x')!;
    expect(phone.properties.installments!.maximum).toBe(10);
    expect(phone.properties.quantity).toEqual({ minimum: 1, maximum: 3 });
    const gift = purchase.anyOf!.find((b) => b.properties.productId!.const === 'gift-card-100')!;
    expect(gift.properties.installments!.maximum).toBe(1);
  });

  it('has a link from every operation that returns an id to each operation taking it, and every link resolves', () => {
    type Op = { operationId: string; responses: Record<string, { links?: Record<string, { operationId: string }> }> };
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item)) as unknown as Op[];
    const ids = new Set(ops.map((o) => o.operationId));
    const links = new Map<string, string[]>();
    for (const op of ops)
      for (const r of Object.values(op.responses))
        for (const l of Object.values(r.links ?? {})) {
          expect(ids.has(l.operationId), `${op.operationId} → ${l.operationId}`).toBe(true);
          links.set(op.operationId, [...(links.get(op.operationId) ?? []), l.operationId]);
        }
    // Every operation with an {id} in its path is the target of some link.
    const targets = new Set([...links.values()].flat());
    for (const [path, item] of Object.entries(doc.paths))
      if (path.includes('{id}')) for (const m of Object.keys(item)) expect(targets.has(operationId(m, path.replace('{id}', ':id'))), `${m} ${path}`).toBe(true);
    expect(links.get('postPurchases')).toEqual(['getPurchasesId', 'postPurchasesIdCancel']);
    expect(links.get('postConversations')).toEqual(['getConversationsId', 'getConversationsIdMessages', 'postConversationsIdMessages']);
    // A read receipt needs a message id: from the message sent.
    expect(links.get('postConversationsIdMessages')).toEqual(['postConversationsIdRead']);
  });

  it('GET /docs is a self-contained page that renders /openapi.json', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("fetch('/openapi.json')");
    // Offline: nothing loaded from another origin.
    expect(html).not.toMatch(/(src|href)="https?:/);
  });
});
