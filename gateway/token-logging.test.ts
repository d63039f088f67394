import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { uniqueId } from '../test/support/context';
import { gatewayFixture, TestClient, upgradeStatus } from '../test/support/gateway';
import { WebSocket } from 'ws';

// The WebSocket upgrade may carry the token in the query string (browsers cannot set headers on a
// WebSocket); the gateway must never write it to its logs, at any level, on success or failure.
describe('gateway logs never hold the token', () => {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      out += chunk.toString();
      done();
    },
  });
  const fx = gatewayFixture({}, { log: pino({ level: 'trace' }, sink) });
  afterAll(() => fx.close());

  it('connects, subscribes, is refused and disconnects with a query-string token: no log line contains it', async () => {
    const gw = await fx.instance();
    const token = await fx.token(uniqueId('u'));
    const ws = new WebSocket(`${gw.url}?access_token=${token}`);
    const client = new TestClient(ws);
    await client.opened;
    client.send({ type: 'subscribe', channel: 'user:someone-else' });
    await client.next('error');
    client.send({ type: 'nonsense' });
    await client.next('error');
    ws.close();
    const expired = await fx.token(uniqueId('u'), { ttlSeconds: -60 });
    expect((await upgradeStatus(`${gw.url}?access_token=${expired}`)).status).toBe(401);
    expect((await upgradeStatus(`${gw.url}?access_token=${token}x`)).status).toBe(401);
    // Every line of the above written: both refusals and the close of the first connection.
    await vi.waitFor(() => {
      expect(out.match(/upgrade refused/g)).toHaveLength(2);
      expect(out).toContain('connection closed');
    });
    expect(out).not.toContain(token);
    expect(out).not.toContain(expired);
    expect(out).not.toContain('access_token=');
  });
});
