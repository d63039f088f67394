import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { RowDataPacket } from 'mysql2/promise';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { startKafkaBatchConsumer } from '../consumers/kafka-batch-runner';
import { startMessageStatusConsumer } from '../consumers/message-status';
import { startGateway } from '../gateway/server';
import { signToken } from '../platform/auth/jwt';
import { loadConfig, type Config } from '../platform/config';
import { createLogger } from '../platform/logger';
import { namesOf, newEphemeralEnv } from '../platform/names';
import { createContext, type Context } from '../runtime/context';
import { conversationAuthorizer } from '../services/conversation-channel';
import { produceStatus } from '../services/message-status';
import { startConnectorSimulators } from '../simulators/connectors';
import { startWorker } from '../worker';
import { ROOT, eventually, freePort, uniqueId } from './support/context';
import { messageStatuses, startChatInProcess, subscribedClient, ticksOf } from './support/chat';
import { testKafkaBroker, type TestKafkaBroker } from './support/kafka-broker';
import { conversationChannel } from '../contracts/channels';

// What the chat keeps through outages and kills, on a Kafka broker of this file's own (the same
// jars and settings as the shared one, on its own ports and data directory, so kill -9 hurts no one)
// and an environment of its own on the shared MySQL, Redis and Temporal (provisioned here, removed
// at the end):
// - Kafka killed mid-flow: sending still answers 202, reading still works, and once the broker is
//   back every message is delivered with its ticks in order, none FAILED;
// - the worker killed mid-flow: status hops go on without it (no workflow per message), and the
//   deadline of the messages never delivered fires once it is back (FAILED, terminal);
// - MySQL first: a status report is committed to Kafka only once applied in MySQL, and a message is
//   accepted only once in MySQL.
describe('chat durability: Kafka and the worker killed mid-flow, MySQL first', () => {
  let broker: TestKafkaBroker;
  let env: string;
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let gatewayUrl: string;
  let chat: Awaited<ReturnType<typeof startChatInProcess>> | undefined;
  const sockets: WebSocket[] = [];
  const children: ChildProcess[] = [];

  const configFor = (overrides: Record<string, string> = {}): Config =>
    loadConfig({
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      TIDINGS_ENV: env,
      MYSQL_DATABASE: undefined,
      KAFKA_BROKERS: broker.brokers,
      TEMPORAL_TASK_QUEUE: uniqueId(`tidings-${env}`),
      LEDGER_RELAY_ON_START: 'false',
      MESSAGE_RELAY_IDLE_MS: '500',
      GATEWAY_PORT: '0',
      SIM_SENT_DELAY_MS: '50',
      SIM_DELIVERED_DELAY_MS: '300',
      API_RATE_LIMIT_PER_USER: '100000',
      ...overrides,
    });
  /** The environment of a child process of this file's system (its database follows from TIDINGS_ENV). */
  const childEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, TIDINGS_ENV: env, KAFKA_BROKERS: broker.brokers, LOG_LEVEL: 'warn', ...extra };
    delete e.MYSQL_DATABASE;
    return e;
  };
  const provision = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'provision/cli.ts', ...args], { cwd: ROOT, env: childEnv({}), stdio: 'inherit' });
  const as = (application: ReturnType<typeof createApiApp>, user: string) => async (method: string, path: string, body?: unknown) =>
    application.request(path, {
      method,
      headers: { authorization: `Bearer ${await signToken(ctx.config, user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const connect = async (user: string, channel: string) => subscribedClient(gatewayUrl, await signToken(ctx.config, user), channel, sockets);
  const conversation = async (owner: string, members: string[]) => {
    // Only users who have used the API can be added: each member makes one call first.
    for (const m of members) expect((await as(app, m)('GET', '/conversations')).status).toBe(200);
    const res = await as(app, owner)('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members });
    expect(res.status).toBe(201);
    return ((await res.json()) as { conversationId: string }).conversationId;
  };
  const statuses = (ids: string[]) => messageStatuses(ctx.mysql(), ids);

  beforeAll(async () => {
    broker = await testKafkaBroker('test-kafka-durability');
    await broker.start();
    env = newEphemeralEnv('test');
    provision();
    ctx = createContext(configFor({ MESSAGE_RELAY_ON_START: 'true' }), createLogger(process.env.LOG_LEVEL ?? 'warn', { test: true }));
    chat = await startChatInProcess(ctx);
    ({ app, gatewayUrl } = chat);
  }, 180_000);
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    for (const child of children) child.kill('SIGKILL');
    await chat?.stop();
    await ctx?.lifecycle.close();
    if (broker && !broker.running()) await broker.start().catch(() => undefined);
    if (env) provision('--teardown');
    await broker?.destroy();
  }, 120_000);

  it('Kafka killed mid-flow: sends answer 202 and reads work during the outage; once it is back every message is DELIVERED, ticks in order', async () => {
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const id = await conversation(alice, [bob]);
    const channel = conversationChannel(id);
    const bobSocket = await connect(bob, channel);
    const send = async (i: number) => {
      const started = Date.now();
      const res = await as(app, alice)('POST', `/conversations/${id}/messages`, { clientMessageId: `k${i}`, text: `message ${i}` });
      expect(res.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(2_000);
      return ((await res.json()) as { messageId: string }).messageId;
    };
    const first = await send(0);
    await bobSocket.until(() => ticksOf(bobSocket, channel, first).includes('DELIVERED'), 20_000);

    const ids = [first];
    try {
      // Mid-flow: some of these are on their way (SENT, or still at the connector) when Kafka dies.
      for (let i = 1; i <= 5; i++) ids.push(await send(i));
      await bobSocket.until(() => ids.slice(1).some((m) => ticksOf(bobSocket, channel, m).includes('SENT')), 20_000);
      await broker.kill();
      for (let i = 6; i <= 15; i++) ids.push(await send(i));
      // The same client message id again during the outage: the same message, still 202.
      const again = await as(app, alice)('POST', `/conversations/${id}/messages`, { clientMessageId: 'k15', text: 'message 15' });
      expect(again.status).toBe(202);
      expect(await again.json()).toMatchObject({ messageId: ids[15], duplicate: true });
      const [waiting] = await ctx.mysql().query<RowDataPacket[]>('SELECT message_id FROM message_outbox WHERE message_id IN (?)', [ids.slice(6)]);
      expect(waiting).toHaveLength(10);
      // A read receipt does not need Kafka either.
      const read = await as(app, bob)('POST', `/conversations/${id}/read`, { upToMessageId: first });
      expect(await read.json()).toEqual({ marked: 1 });
      await bobSocket.until(() => ticksOf(bobSocket, channel, first).includes('READ'), 5_000);
      await new Promise((r) => setTimeout(r, 1_000)); // time passing is the point: the outage goes on a while (the relay ticks with Kafka down)
    } finally {
      await broker.start();
    }

    await eventually(
      async () => {
        const s = await statuses(ids);
        return ids.slice(1).every((m) => s.get(m) === 'DELIVERED');
      },
      90_000,
      250,
    ).catch(async (err: unknown) => {
      throw new Error(`not all delivered: ${JSON.stringify([...(await statuses(ids)).entries()])}`, { cause: err });
    });
    expect((await statuses([first])).get(first)).toBe('READ');
    await bobSocket.until(() => ids.slice(1).every((m) => ticksOf(bobSocket, channel, m).length >= 2), 10_000);
    for (const m of ids.slice(1)) expect(ticksOf(bobSocket, channel, m)).toEqual(['SENT', 'DELIVERED']);
    expect(ticksOf(bobSocket, channel, first)).toEqual(['SENT', 'DELIVERED', 'READ']);
    const [left] = await ctx.mysql().query<RowDataPacket[]>('SELECT 1 FROM message_outbox WHERE message_id IN (?)', [ids]);
    expect(left).toEqual([]);
  }, 180_000);

  it('the API killed -9 mid-burst: every message it answered 202 for is DELIVERED, sent by the relay', async () => {
    const port = await freePort();
    const api = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
      cwd: ROOT,
      env: childEnv({
        TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE,
        TIDINGS_ROLES: 'api',
        API_PORT: String(port),
        API_RATE_LIMIT_PER_USER: '100000',
        SELF_CHECK_ON_START: 'false',
      }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(api);
    api.stdout!.resume();
    const exited = new Promise((r) => api.once('exit', r));
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.ok === true, 60_000, 250);

    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const id = await conversation(alice, [bob]);
    const channel = conversationChannel(id);
    const bobSocket = await connect(bob, channel);
    const token = await signToken(ctx.config, alice);
    const accepted: string[] = [];
    let refused = 0;
    // A burst straight at the API process; it is killed while sends are still arriving, so some are
    // answered, some are cut off (never acknowledged: no promise made), none may be half-accepted.
    const sends = Array.from({ length: 60 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 10)); // time passing is the point: the burst is spread across the kill
      const res = await fetch(`${base}/conversations/${id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientMessageId: `a${i}`, text: `message ${i}` }),
      }).catch(() => undefined);
      if (res?.status === 202) accepted.push(((await res.json()) as { messageId: string }).messageId);
      else refused++;
    });
    await eventually(async () => accepted.length >= 15, 20_000, 5);
    api.kill('SIGKILL');
    await Promise.all(sends);
    await exited;
    expect(refused).toBeGreaterThan(0); // the kill did land mid-burst

    await eventually(
      async () => {
        const s = await statuses(accepted);
        return accepted.every((m) => s.get(m) === 'DELIVERED');
      },
      60_000,
      250,
    ).catch(async (err: unknown) => {
      throw new Error(`not all delivered: ${JSON.stringify([...(await statuses(accepted)).entries()])}`, { cause: err });
    });
    await bobSocket.until(() => accepted.every((m) => ticksOf(bobSocket, channel, m).includes('DELIVERED')), 10_000);
    for (const m of accepted) expect(ticksOf(bobSocket, channel, m)).toEqual(['SENT', 'DELIVERED']);
    // Nothing the API left behind waits forever: the relay empties the outbox of this conversation.
    // Rows it committed but never answered for (cut off by the kill) are not among `accepted`, so
    // they can still be on their way when the accepted ones are all DELIVERED: the relay gets time.
    const outboxLeft = async () =>
      (
        await ctx
          .mysql()
          .query<RowDataPacket[]>('SELECT o.message_id FROM message_outbox o JOIN messages m ON m.message_id = o.message_id WHERE m.conversation_id = ?', [id])
      )[0];
    await eventually(async () => (await outboxLeft()).length === 0, 30_000, 250).catch(() => undefined);
    expect(await outboxLeft()).toEqual([]);
  }, 120_000);

  it('the worker killed mid-flow: statuses still apply without it; the deadline of undelivered messages fires once it is back', async () => {
    // From here the test plays the channel: it reports SENT for every message and DELIVERED for half.
    await chat?.stopSimulators();
    const short = { MESSAGE_DELIVER_DEADLINE_MS: '3000', MESSAGE_DEADLINE_BUCKET_MS: '1000', MESSAGE_RELAY_ON_START: 'false' };
    const config = configFor(short);
    const ctx2 = createContext(config, createLogger(config.LOG_LEVEL, { test: true }));
    const app2 = createApiApp(ctx2);
    const spawnWorker = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
        cwd: ROOT,
        env: childEnv({
          ...short,
          TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
          TIDINGS_ROLES: 'worker',
          SELF_CHECK_ON_START: 'false',
          LEDGER_RELAY_ON_START: 'false',
        }),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('Tidings is up') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
      return child;
    };
    try {
      let worker = await spawnWorker();
      const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
      const id = await conversation(alice, [bob]);
      const channel = conversationChannel(id);
      const bobSocket = await connect(bob, channel);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await as(app2, alice)('POST', `/conversations/${id}/messages`, { clientMessageId: `w${i}`, text: `message ${i}` });
        ids.push(((await res.json()) as { messageId: string }).messageId);
      }
      // Handed to the channel with their deadline armed (the bucket started, asleep in Temporal).
      await eventually(async () => {
        const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT 1 FROM messages WHERE message_id IN (?) AND deadline_at IS NOT NULL', [ids]);
        return rows.length === ids.length;
      }, 15_000);
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));

      const report = (status: 'SENT' | 'DELIVERED', which: string[]) =>
        produceStatus(
          ctx,
          which.map((messageId) => ({ messageId, conversationId: id, organizationId: 'org-1', channel: 'whatsapp' as const, status, at: Date.now() })),
        );
      const [delivered, silent] = [ids.slice(0, 3), ids.slice(3)];
      await report('SENT', ids);
      await report('DELIVERED', delivered);
      await eventually(async () => {
        const s = await statuses(ids);
        return delivered.every((m) => s.get(m) === 'DELIVERED') && silent.every((m) => s.get(m) === 'SENT');
      }, 20_000);
      // Past the deadline with no worker: nothing has failed them yet.
      await new Promise((r) => setTimeout(r, 4_500)); // time passing is the point: past the deadline with no worker
      expect([...(await statuses(silent)).values()]).toEqual(['SENT', 'SENT', 'SENT']);

      worker = await spawnWorker();
      await eventually(async () => {
        const s = await statuses(ids);
        return silent.every((m) => s.get(m) === 'FAILED');
      }, 30_000);
      const s = await statuses(ids);
      for (const m of delivered) expect(s.get(m)).toBe('DELIVERED');
      await bobSocket.until(() => silent.every((m) => ticksOf(bobSocket, channel, m).includes('FAILED')), 10_000);
      for (const m of silent) expect(ticksOf(bobSocket, channel, m)).toEqual(['SENT', 'FAILED']);
      for (const m of delivered) expect(ticksOf(bobSocket, channel, m)).toEqual(['SENT', 'DELIVERED']);
      // FAILED is terminal: the channel answering late changes nothing.
      await report('DELIVERED', silent);
      await new Promise((r) => setTimeout(r, 1_500)); // time passing is the point: a quiet window in which the late reports are consumed
      expect([...(await statuses(silent)).values()]).toEqual(['FAILED', 'FAILED', 'FAILED']);
      worker.kill('SIGKILL');
    } finally {
      await ctx2.lifecycle.close();
    }
  }, 120_000);

  it('MySQL first: with MySQL unreachable a send is refused and a status report stays uncommitted on Kafka until it is applied', async () => {
    const deadPort = String(await freePort());
    const down = createContext(configFor({ MYSQL_PORT: deadPort, MYSQL_POOL_SIZE: '2' }), createLogger('silent'));
    try {
      const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
      const id = await conversation(alice, [bob]);
      const refused = await as(createApiApp(down), alice)('POST', `/conversations/${id}/messages`, { clientMessageId: 'm1', text: 'hi' });
      expect(refused.status).toBeGreaterThanOrEqual(500);

      const res = await as(app, alice)('POST', `/conversations/${id}/messages`, { clientMessageId: 'm2', text: 'hi' });
      const { messageId } = (await res.json()) as { messageId: string };
      // A consumer group of its own whose MySQL is down: it reads the report but cannot apply it.
      const group = uniqueId('msg-status-mysql-down');
      const topic = namesOf(ctx.config).topics.msgStatus;
      const admin = ctx.kafka().admin();
      await admin.connect();
      const committed = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => p.offset).join(',');
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId: group, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
      const before = await committed();
      let attempts = 0;
      const failing = await startKafkaBatchConsumer({
        name: 'msg-status-mysql-down',
        kafka: ctx.kafka(),
        producer: ctx.producer,
        log: createLogger('silent'),
        groupId: group,
        topics: [topic],
        parse: (r) => r,
        handle: async (records) => {
          attempts++;
          await down.mysql().query('SELECT 1');
          return records.map((item) => ({ item, reason: 'unreachable' }));
        },
      });
      await failing.ready;
      await produceStatus(ctx, [{ messageId, conversationId: id, organizationId: 'org-1', channel: 'whatsapp', status: 'DELIVERED', at: Date.now() }]);
      await eventually(async () => attempts >= 2, 30_000);
      await failing.stop();
      expect(await committed()).toBe(before);
      // The same group with MySQL back applies it, then commits.
      const healthy = await startMessageStatusConsumer(ctx, { groupId: group, fromBeginning: true });
      try {
        await eventually(async () => (await statuses([messageId])).get(messageId) === 'DELIVERED', 20_000);
        await eventually(async () => (await committed()) !== before, 20_000);
      } finally {
        await healthy.stop();
        await admin.disconnect();
      }
    } finally {
      await down.lifecycle.close();
    }
  }, 120_000);
});
