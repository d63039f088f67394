import type { Server } from 'node:http';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { closeServer, listen } from './serve';

describe('listen', () => {
  // "socket hang up" on a kept-alive connection: the server must not close an idle connection
  // before the clients and proxies in front of it do (typical load balancer idle timeout: 60 s).
  it('keeps idle connections longer than a 60 s load balancer, and headersTimeout above keepAliveTimeout', async () => {
    const server = (await listen(
      new Hono().get('/', (c) => c.text('ok')),
      '127.0.0.1',
      0,
    )) as Server;
    try {
      expect(server.keepAliveTimeout).toBeGreaterThan(60_000);
      expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
    } finally {
      await closeServer(server);
    }
  });
});
