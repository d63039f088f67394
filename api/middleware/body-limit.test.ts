import http from 'node:http';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundPort, closeServer, listen } from '../../platform/http/serve';
import { bodyLimit } from './body-limit';

// Over a real socket, through the node adapter: the limit is judged from Content-Length without
// reading the body, counted while streaming when the body is chunked, and a body within it reaches
// the route whole either way.
describe('bodyLimit', () => {
  let server: ServerType;
  let port: number;
  beforeAll(async () => {
    const app = new Hono()
      .use(bodyLimit({ maxSize: 10, onError: (c) => c.json({ error: { code: 'payload_too_large', field: 'body' } }, 413) }))
      .all('/echo', async (c) => c.json({ method: c.req.method, body: await c.req.text() }));
    server = await listen(app, '127.0.0.1', 0);
    port = boundPort(server);
  });
  afterAll(async () => {
    if (server) await closeServer(server);
  });

  /** Sends `chunks` as one body: with Content-Length when `chunked` is false, else chunk by chunk. */
  function send(method: string, chunks: string[], chunked: boolean): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const total = chunks.join('');
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/echo',
          method,
          headers: chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': Buffer.byteLength(total) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
        },
      );
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  it('passes a body within the limit to the route, sized by Content-Length or chunked', async () => {
    expect(await send('POST', ['0123456789'], false)).toEqual({ status: 200, body: { method: 'POST', body: '0123456789' } });
    expect(await send('POST', ['01234', '56789'], true)).toEqual({ status: 200, body: { method: 'POST', body: '0123456789' } });
  });

  it('refuses a body over the limit with the error handler, by its Content-Length or as it streams', async () => {
    expect(await send('POST', ['0123456789A'], false)).toEqual({ status: 413, body: { error: { code: 'payload_too_large', field: 'body' } } });
    expect(await send('POST', ['012345', '6789A'], true)).toEqual({ status: 413, body: { error: { code: 'payload_too_large', field: 'body' } } });
  });

  it('counts the body of an in-process request, which has neither header', async () => {
    const app = new Hono()
      .use(bodyLimit({ maxSize: 10, onError: (c) => c.json({ error: { code: 'payload_too_large' } }, 413) }))
      .post('/echo', async (c) => c.text(await c.req.text()));
    expect((await app.request('/echo', { method: 'POST', body: '0123456789A' })).status).toBe(413);
    const within = await app.request('/echo', { method: 'POST', body: '0123456789' });
    expect([within.status, await within.text()]).toEqual([200, '0123456789']);
  });

  it('lets a request without a body through', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/echo`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'GET', body: '' });
  });
});
