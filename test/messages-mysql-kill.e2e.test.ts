import { execFileSync } from 'node:child_process';
import type { RowDataPacket } from 'mysql2/promise';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { startMessageStatusConsumer } from '../consumers/message-status';
import { startGateway } from '../gateway/server';
import { signToken } from '../platform/auth/jwt';
import { loadConfig, type Config } from '../platform/config';
import { createLogger } from '../platform/logger';
import { newEphemeralEnv } from '../platform/names';
import { createContext, type Context } from '../runtime/context';
import { conversationAuthorizer } from '../services/conversation-channel';
import { startConnectorSimulators } from '../simulators/connectors';
import { startWorker } from '../worker';
import { ROOT, eventually, uniqueId } from './support/context';
import { messageStatuses, startChatInProcess, subscribedClient, ticksOf } from './support/chat';
import { provisionOn, testMysqlServer, type TestMysqlServer } from './support/mysql-server';
import { conversationChannel } from '../contracts/channels';

// MySQL killed -9 mid-flow, on a MariaDB of this file's own (same server and settings as the shared
// one, own port and data directory, so the kill hurts no one) and an environment of its own on the
// shared Kafka, Redis and Temporal: what was accepted before the kill is all delivered once MySQL is
// back (the statuses the channel reported during the outage stay uncommitted on Kafka until they
// are applied), and nothing is accepted while it is down.
describe('chat durability: MySQL killed -9 mid-flow', () => {
  let mysqlServer: TestMysqlServer;
  let env: string;
  let config: Config;
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let gatewayUrl: string;
  let chat: Awaited<ReturnType<typeof startChatInProcess>> | undefined;
  const sockets: WebSocket[] = [];

  const provision = (...args: string[]) => provisionOn(mysqlServer, env, ...args);
  const as = (user: string) => async (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${await signToken(ctx.config, user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const statuses = (ids: string[]) => messageStatuses(ctx.mysql(), ids);

  beforeAll(async () => {
    const base = loadConfig();
    mysqlServer = await testMysqlServer('test-mysql-kill', { user: base.MYSQL_USER, password: base.MYSQL_PASSWORD });
    await mysqlServer.start();
    env = newEphemeralEnv('test');
    provision();
    config = loadConfig({
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      TIDINGS_ENV: env,
      MYSQL_DATABASE: undefined,
      MYSQL_PORT: String(mysqlServer.port),
      TEMPORAL_TASK_QUEUE: uniqueId(`tidings-${env}`),
      LEDGER_RELAY_ON_START: 'false',
      MESSAGE_RELAY_IDLE_MS: '500',
      GATEWAY_PORT: '0',
      SIM_SENT_DELAY_MS: '50',
      SIM_DELIVERED_DELAY_MS: '1500',
      API_RATE_LIMIT_PER_USER: '100000',
    });
    ctx = createContext(config, createLogger(config.LOG_LEVEL, { test: true }));
    chat = await startChatInProcess(ctx);
    ({ app, gatewayUrl } = chat);
  }, 180_000);
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await chat?.stop();
    await ctx?.lifecycle.close();
    if (mysqlServer && !mysqlServer.running()) await mysqlServer.start().catch(() => undefined);
    if (env) provision('--teardown');
    await mysqlServer?.destroy();
  }, 120_000);

  it('every message accepted before the kill is DELIVERED once MySQL is back, ticks in order; nothing is accepted while it is down', async () => {
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    expect((await as(bob)('GET', '/conversations')).status).toBe(200); // a known user
    const created = await as(alice)('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [bob] });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { conversationId: string }).conversationId;
    const channel = conversationChannel(id);
    const bobSocket = await subscribedClient(gatewayUrl, await signToken(ctx.config, bob), channel, sockets);

    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await as(alice)('POST', `/conversations/${id}/messages`, { clientMessageId: `m${i}`, text: `message ${i}` });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { messageId: string }).messageId);
    }
    // Mid-flow: handed to the channel (SENT) and its DELIVERED report still to come when MySQL dies.
    await bobSocket.until(() => ids.every((m) => ticksOf(bobSocket, channel, m).includes('SENT')), 20_000);
    expect(ids.some((m) => !ticksOf(bobSocket, channel, m).includes('DELIVERED'))).toBe(true);
    await mysqlServer.kill();
    try {
      const refused = await as(alice)('POST', `/conversations/${id}/messages`, { clientMessageId: 'down', text: 'while MySQL is down' });
      expect(refused.status).toBeGreaterThanOrEqual(500);
      // The channel's DELIVERED reports arrive on Kafka now and cannot be applied yet.
      await new Promise((r) => setTimeout(r, 3_000)); // time passing is the point: the outage lasts while reports arrive
    } finally {
      await mysqlServer.start();
    }

    await eventually(
      async () => {
        const s = await statuses(ids).catch(() => new Map<string, string>());
        return ids.every((m) => s.get(m) === 'DELIVERED');
      },
      60_000,
      250,
    ).catch(async (err: unknown) => {
      throw new Error(`not all delivered: ${JSON.stringify([...(await statuses(ids)).entries()])}`, { cause: err });
    });
    await bobSocket.until(() => ids.every((m) => ticksOf(bobSocket, channel, m).includes('DELIVERED')), 10_000);
    for (const m of ids) expect(ticksOf(bobSocket, channel, m)).toEqual(['SENT', 'DELIVERED']);
    // The refused send left nothing behind.
    const [down] = await ctx.mysql().query<RowDataPacket[]>('SELECT 1 FROM messages WHERE conversation_id = ? AND client_message_id = ?', [id, 'down']);
    expect(down).toEqual([]);
    const [left] = await ctx.mysql().query<RowDataPacket[]>('SELECT 1 FROM message_outbox WHERE message_id IN (?)', [ids]);
    expect(left).toEqual([]);
  }, 180_000);
});
