import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { createTokenVerifier, signToken } from '../../platform/auth/jwt';
import { closeRedis, createRedis } from '../../platform/clients/redis';
import type { Config } from '../../platform/config';
import { createLogger, type Logger } from '../../platform/logger';
import type { ChannelAuthorizer } from '../../gateway/authorize';
import { createPresence } from '../../gateway/registry';
import { createPublisher } from '../../gateway/publisher';
import type { ServerFrame } from '../../gateway/protocol';
import { createGateway, type Gateway } from '../../gateway/ws-server';
import { testConfig } from './context';

/** A gateway instance on its own HTTP server and Redis connections. */
export interface GatewayInstance {
  gateway: Gateway;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * Builds gateway instances, a publisher (as another process would), tokens and clients over real
 * Redis and real sockets; `close()` tears all of it down.
 */
export function gatewayFixture(
  overrides: Record<string, string> = {},
  { log = createLogger(testConfig(overrides).LOG_LEVEL, { test: 'gateway' }) }: { log?: Logger } = {},
) {
  const config: Config = testConfig(overrides);
  const redisClients = [createRedis(config, log)];
  const publisherRedis = redisClients[0]!;
  const presence = createPresence(publisherRedis);
  const publisher = createPublisher(publisherRedis, {
    maxLen: config.GATEWAY_STREAM_MAXLEN,
    ttlSeconds: config.GATEWAY_STREAM_TTL_SECONDS,
    liveOnlyNamespaces: config.GATEWAY_LIVE_ONLY_NAMESPACES,
    presence,
  });
  const instances: GatewayInstance[] = [];
  const clients: TestClient[] = [];

  return {
    config,
    presence,
    publisher,
    redis: publisherRedis,
    async instance(authorizers: Record<string, ChannelAuthorizer> = {}): Promise<GatewayInstance> {
      const redis = createRedis(config, log);
      const subscriber = createRedis(config, log);
      redisClients.push(redis, subscriber);
      const gateway = createGateway({ config, redis, subscriber, verifyToken: createTokenVerifier(config), log, authorizers });
      const server = createServer((_, res) => res.writeHead(404).end());
      await gateway.attach(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      let stopped = false;
      const inst: GatewayInstance = {
        gateway,
        server,
        url: `ws://127.0.0.1:${port}/ws`,
        async stop() {
          if (stopped) return;
          stopped = true;
          await gateway.close(2_000);
          await new Promise((r) => server.close(r));
        },
      };
      instances.push(inst);
      return inst;
    },
    token: (userId: string, opts?: Parameters<typeof signToken>[2]) => signToken(config, userId, opts),
    async connect(url: string, token: string, wsOptions: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<TestClient> {
      const client = new TestClient(new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, ...wsOptions }));
      clients.push(client);
      await client.opened;
      return client;
    },
    async close(): Promise<void> {
      for (const c of clients) c.ws.terminate();
      await Promise.all(instances.map((i) => i.stop()));
      await Promise.all(redisClients.map(closeRedis));
    },
  };
}

type Frame = ServerFrame & Record<string, unknown>;

/** A raw protocol client for tests: records every frame and the close code. */
export class TestClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve((this.closeCode = code))));
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => undefined);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Frames of one type (and optionally one channel). */
  of(type: string, channel?: string): Frame[] {
    return this.frames.filter((f) => f.type === type && (channel === undefined || f.channel === channel));
  }

  /** Waits until `predicate` holds over the frames received so far. */
  async until(predicate: (frames: Frame[]) => boolean, ms = 5_000): Promise<Frame[]> {
    const deadline = Date.now() + ms;
    while (!predicate(this.frames)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames so far: ${JSON.stringify(this.frames).slice(0, 2_000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames;
  }

  private readonly cursors = new Map<string, number>();

  /** Returns the next frame of a type (and channel) not yet returned by `next`, waiting if needed. */
  async next(type: string, channel?: string, ms?: number): Promise<Frame> {
    const key = `${type}|${channel ?? '*'}`;
    const index = this.cursors.get(key) ?? 0;
    await this.until(() => this.of(type, channel).length > index, ms);
    this.cursors.set(key, index + 1);
    return this.of(type, channel)[index]!;
  }
}

/** Opens an upgrade and reports the HTTP status the server refused it with (or 101). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}
