import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../platform/config';
import { notFound, onError } from '../../platform/http/errors';
import { createLogger } from '../../platform/logger';
import { createContext } from '../../runtime/context';
import { createApiApp } from '../app';
import { documentedRoutes, errors, idLink, idParam, jsonBody, success } from './define';
import { openApiDocument } from './document';

type Doc = ReturnType<typeof openApiDocument>;
type Op = {
  operationId: string;
  parameters?: { name: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
};
const op = (doc: Doc, path: string, method: string) => (doc.paths[path] as Record<string, Op> | undefined)?.[method];

// No server: the document is made from the route definitions, and the same definitions validate the
// requests (api/openapi/openapi.test.ts checks the whole API's document over the real servers).
describe('the OpenAPI document, from the route definitions', () => {
  const Thing = z.object({ name: z.string().max(3), note: z.string().optional() });
  const things = () => {
    const app = documentedRoutes();
    app.openapi(
      createRoute({
        method: 'post',
        path: '/',
        tags: ['things'],
        summary: 'Make a thing',
        request: { body: jsonBody(Thing, { name: 'abc' }) },
        responses: { 201: success('the thing', { links: { GetThing: idLink('get /things/:id', 'the thing', '/id') } }), ...errors(400, 422) },
      }),
      (c) => c.json({ id: 't-1', ...c.req.valid('json') }, 201),
    );
    app.openapi(
      createRoute({
        method: 'get',
        path: '/{id}',
        tags: ['things'],
        summary: 'A thing',
        request: { params: idParam('t-1') },
        responses: { 200: success('it') },
      }),
      (c) => c.json({ id: c.req.valid('param').id }, 200),
    );
    const api = new OpenAPIHono();
    api.route('/things', app);
    api.onError(onError(createLogger('silent')));
    api.notFound(notFound);
    return api;
  };
  const post = (body: string) => things().request('/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('states each route as defined: its path under the mount, schemas, examples, links and the errors every guarded route has', () => {
    const doc = openApiDocument(things());
    const make = op(doc, '/things', 'post')!;
    expect(make.operationId).toBe('postThings');
    const body = make.requestBody!.content['application/json']!;
    expect(body).toMatchObject({ example: { name: 'abc' }, schema: { additionalProperties: false, properties: { name: { maxLength: 3 } } } });
    expect(Object.keys(make.responses).sort()).toEqual(['201', '400', '401', '413', '415', '422', '429', '503']);
    expect(make.responses['201']).toMatchObject({ links: { GetThing: { operationId: 'getThingsId', parameters: { id: '$response.body#/id' } } } });
    expect(op(doc, '/things/{id}', 'get')!.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, example: 't-1' }]);
  });

  it('validates with the same schemas: 400 naming the field, 422 for an unknown one, 400 invalid_json', async () => {
    const long = await post(JSON.stringify({ name: 'abcd' }));
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({ error: { code: 'invalid_request', field: 'name' } });
    const unknown = await post(JSON.stringify({ name: 'abc', nmae: 'x' }));
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_field', field: 'nmae' } });
    const malformed = await post('{"name":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'invalid_json', field: 'body' } });
    const text = await things().request('/things', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"name":"abc"}' });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    expect((await post(JSON.stringify({ name: 'abc' }))).status).toBe(201);
  });

  const ctx = createContext(loadConfig({ TIDINGS_ENV: 'unit' }), createLogger('silent'));
  afterAll(() => ctx.lifecycle.close());

  it('documents every route the API registers and nothing else: there is no other list of them', () => {
    const app = createApiApp(ctx) as unknown as OpenAPIHono;
    const registered = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`))].sort();
    const doc = openApiDocument(app);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(registered);
    expect(registered.length).toBeGreaterThan(30);
  });
});
