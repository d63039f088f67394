import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawHttpConnection } from './raw-http';

// The ledger benchmark counts an entry as accepted from the status this client reads, so its
// framing (where one answer ends and the next begins on a kept-alive socket) is what those counts
// rest on.
describe('RawHttpConnection', () => {
  let server: Server;
  let port: number;
  const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        if (req.url === '/chunked') {
          // No Content-Length: Node answers chunked, in two chunks here.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"part":');
          setTimeout(() => res.end('"two"}'), 5);
        } else res.writeHead(req.url === '/missing' ? 404 : 201, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the head and body as given and reads status and body, request after request on one socket', async () => {
    const conn = new RawHttpConnection('127.0.0.1', port);
    const a = await conn.request('POST', '/entries', 'authorization: Bearer t\r\ncontent-type: application/json\r\n', '{"n":1}');
    const b = await conn.request('POST', '/missing', '', 'é');
    conn.close();
    expect(a).toEqual({ status: 201, body: JSON.stringify({ echo: '{"n":1}' }) });
    expect(b).toEqual({ status: 404, body: JSON.stringify({ echo: 'é' }) });
    expect(seen.slice(-2)).toEqual([
      { method: 'POST', url: '/entries', auth: 'Bearer t', body: '{"n":1}' },
      { method: 'POST', url: '/missing', auth: undefined, body: 'é' },
    ]);
  });

  it('reads a chunked answer whole, and the next answer after it', async () => {
    const conn = new RawHttpConnection('127.0.0.1', port);
    expect(await conn.request('GET', '/chunked', '', '')).toEqual({ status: 200, body: '{"part":"two"}' });
    expect((await conn.request('POST', '/after', '', 'x')).status).toBe(201);
    conn.close();
  });

  it('frames an answer that arrives byte by byte', async () => {
    const trickle = net.createServer((socket) => {
      socket.once('data', () => {
        const answer = Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello');
        let i = 0;
        const next = () => (i < answer.length ? socket.write(answer.subarray(i, ++i), () => setImmediate(next)) : undefined);
        next();
      });
    });
    await new Promise<void>((r) => trickle.listen(0, '127.0.0.1', r));
    const conn = new RawHttpConnection('127.0.0.1', (trickle.address() as AddressInfo).port);
    expect(await conn.request('POST', '/', '', '')).toEqual({ status: 201, body: 'hello' });
    conn.close();
    await new Promise<void>((r) => trickle.close(() => r()));
  });

  it('rejects a request whose connection closes before the answer, and every request after it', async () => {
    const closing = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((r) => closing.listen(0, '127.0.0.1', r));
    const conn = new RawHttpConnection('127.0.0.1', (closing.address() as AddressInfo).port);
    await expect(conn.request('POST', '/', '', 'x')).rejects.toThrow(/closed|reset/);
    await expect(conn.request('POST', '/', '', 'x')).rejects.toThrow(/closed|reset/);
    await new Promise<void>((r) => closing.close(() => r()));
  });

  it('fails the request, not the process, on a malformed chunked answer', async () => {
    const broken = net.createServer((socket) =>
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n')),
    );
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    const conn = new RawHttpConnection('127.0.0.1', (broken.address() as AddressInfo).port);
    await expect(conn.request('GET', '/', '', '')).rejects.toThrow(/malformed chunk size/);
    await new Promise<void>((r) => broken.close(() => r()));
  });

  it('refuses a second request while one is in flight', async () => {
    const conn = new RawHttpConnection('127.0.0.1', port);
    const first = conn.request('GET', '/chunked', '', '');
    await new Promise((r) => setTimeout(r, 1));
    await expect(conn.request('GET', '/chunked', '', '')).rejects.toThrow(/one request at a time/);
    await first;
    conn.close();
  });
});
