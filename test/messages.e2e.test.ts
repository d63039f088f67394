import type { RowDataPacket } from 'mysql2/promise';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { conversationAuthorizer } from '../services/conversation-channel';
import { produceStatus } from '../services/message-status';
import { createApiApp } from '../api/app';
import { startKafkaConsumer } from '../consumers/kafka-runner';
import { startMessageStatusConsumer } from '../consumers/message-status';
import { channelKeys } from '../gateway/publisher';
import { startGateway } from '../gateway/server';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { dlqTopic } from '../platform/names';
import { startConnectorSimulators } from '../simulators/connectors';
import { startWorker } from '../worker';
import { eventually, groupAtEnd, testContext, testNames, uniqueId } from './support/context';
import { TestClient } from './support/gateway';
import { conversationChannel } from '../contracts/channels';

const names = testNames();

// Chat message lifecycle across the real servers: API (message + outbox row) → Kafka `messages` →
// connector simulators → `msg.status` → consumer (conditional update in MySQL) → the conversation's
// WebSocket channel. Outages and kills: test/messages-durability.e2e.test.ts.
describe('message status lifecycle across the real servers', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let gatewayUrl: string;
  let statusConsumer: Awaited<ReturnType<typeof startMessageStatusConsumer>>;
  let simulators: Awaited<ReturnType<typeof startConnectorSimulators>>;
  const statusGroup = uniqueId('msg-status-test');
  const sockets: WebSocket[] = [];

  const as = (user: string) => async (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${await signToken(ctx.config, user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const connect = async (user: string) => {
    const ws = new WebSocket(gatewayUrl, { headers: { authorization: `Bearer ${await signToken(ctx.config, user)}` } });
    sockets.push(ws);
    const c = new TestClient(ws);
    await c.opened;
    await c.next('subscribed');
    return c;
  };
  const conversation = async (owner: string, members: string[]) => {
    // Only users who have used the API can be added: each member makes one call first.
    for (const m of members) expect((await as(m)('GET', '/conversations')).status).toBe(200);
    const res = await as(owner)('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members });
    expect(res.status).toBe(201);
    return ((await res.json()) as { conversationId: string }).conversationId;
  };

  /** Message rows written straight to MySQL, their outbox rows removed: the test plays the channel. */
  const insertUndispatched = async (conversationId: string, ids: string[]) => {
    await ctx
      .mysql()
      .query('INSERT INTO messages (message_id, conversation_id, sender_id, client_message_id, text, status, created_at) VALUES ?', [
        ids.map((m) => [m, conversationId, 'someone', m.slice(0, 32), 'hi', 'PENDING', new Date()]),
      ]);
    await ctx.mysql().query('DELETE FROM message_outbox WHERE message_id IN (?)', [ids]);
  };

  beforeAll(async () => {
    ctx = testContext({
      GATEWAY_PORT: '0',
      SIM_SENT_DELAY_MS: '50',
      SIM_DELIVERED_DELAY_MS: '100',
      GATEWAY_STREAM_MAXLEN: '5000',
    });
    app = createApiApp(ctx);
    gatewayUrl = await startGateway(ctx, { conversation: conversationAuthorizer(ctx) });
    await startWorker(ctx);
    await groupAtEnd(ctx.kafka(), statusGroup, names.topics.msgStatus);
    [statusConsumer, simulators] = await Promise.all([
      startMessageStatusConsumer(ctx, { groupId: statusGroup, fromBeginning: true }),
      startConnectorSimulators(ctx, { groupId: uniqueId('connectors-test'), fromBeginning: false }),
    ]);
    await Promise.all([statusConsumer.ready, simulators.ready]);
  }, 60_000);
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await simulators?.stop();
    await statusConsumer?.stop();
    await ctx?.lifecycle.close();
  });

  it('a member sees SENT, DELIVERED, READ for a new message in order; a non-member is refused and sees nothing', async () => {
    const [alice, bob, carol] = [uniqueId('alice'), uniqueId('bob'), uniqueId('carol')];
    const id = await conversation(alice, [bob]);
    const channel = conversationChannel(id);
    const bobSocket = await connect(bob);
    bobSocket.send({ type: 'subscribe', channel });
    expect(await bobSocket.next('subscribed', channel)).toMatchObject({ channel });
    const carolSocket = await connect(carol);
    carolSocket.send({ type: 'subscribe', channel });
    expect(await carolSocket.next('error')).toMatchObject({ code: 'forbidden' });

    const sent = await as(alice)('POST', `/conversations/${id}/messages`, { clientMessageId: 'c-1', text: 'olá' });
    expect(sent.status).toBe(202);
    const { messageId } = (await sent.json()) as { messageId: string };
    const ticks = () => bobSocket.of('event', channel).map((e) => (e.data as { status: string }).status);
    await bobSocket.until(() => ticks().includes('DELIVERED'), 15_000);
    const read = await as(bob)('POST', `/conversations/${id}/read`, { upToMessageId: messageId });
    expect(await read.json()).toEqual({ marked: 1 });
    await bobSocket.until(() => ticks().includes('READ'), 15_000);
    expect(ticks()).toEqual(['SENT', 'DELIVERED', 'READ']);
    expect(carolSocket.of('event', channel)).toEqual([]);

    const page = async () =>
      (
        (await (await as(alice)('GET', `/conversations/${id}/messages`)).json()) as {
          messages: { status: string; sentAt: string; deliveredAt: string; readAt: string }[];
        }
      ).messages[0]!;
    const first = await page();
    expect(first).toMatchObject({ status: 'READ' });
    expect(Date.parse(first.sentAt)).toBeLessThanOrEqual(Date.parse(first.deliveredAt));
    expect(Date.parse(first.deliveredAt)).toBeLessThanOrEqual(Date.parse(first.readAt));
    // Late, repeated and regressing reports change nothing and tick nothing; nor does reading again.
    await produceStatus(ctx, [
      { messageId, conversationId: id, organizationId: 'org-1', channel: 'whatsapp', status: 'DELIVERED', at: Date.now() },
      { messageId, conversationId: id, organizationId: 'org-1', channel: 'whatsapp', status: 'SENT', at: Date.now() },
      { messageId, conversationId: id, organizationId: 'org-1', channel: 'whatsapp', status: 'READ', at: Date.now() },
    ]);
    expect(await (await as(bob)('POST', `/conversations/${id}/read`, { upToMessageId: messageId })).json()).toEqual({ marked: 0 });
    await new Promise((r) => setTimeout(r, 1_500)); // time passing is the point: a quiet window in which those reports are consumed
    expect(await page()).toEqual(first);
    expect(ticks()).toEqual(['SENT', 'DELIVERED', 'READ']);
    // No workflow per message: the message is out of the outbox and its deadline is armed.
    const [[row]] = (await ctx
      .mysql()
      .query<RowDataPacket[]>('SELECT dispatched_at, deadline_at FROM messages WHERE message_id = ?', [messageId])) as unknown as [
      [{ dispatched_at: Date; deadline_at: Date }],
    ];
    expect(row.deadline_at.getTime() - row.dispatched_at.getTime()).toBeGreaterThanOrEqual(ctx.config.MESSAGE_DELIVER_DEADLINE_MS - 1_000);
    const [outbox] = await ctx.mysql().query<RowDataPacket[]>('SELECT 1 FROM message_outbox WHERE message_id = ?', [messageId]);
    expect(outbox).toEqual([]);
    // The same client message id is the same message.
    const again = await as(alice)('POST', `/conversations/${id}/messages`, { clientMessageId: 'c-1', text: 'olá' });
    expect(await again.json()).toMatchObject({ messageId, duplicate: true });
  }, 40_000);

  it('lists the most recently active conversations first: an old conversation with a new message is on the first page', async () => {
    const [owner, friend, other] = [uniqueId('ann'), uniqueId('ben'), uniqueId('cid')];
    const old = await conversation(owner, [friend]);
    const newer = await conversation(owner, [other]);
    // Time passing is the point: the message must be later than the newer conversation's creation.
    await new Promise((r) => setTimeout(r, 20));
    expect((await as(owner)('POST', `/conversations/${old}/messages`, { clientMessageId: uniqueId('m'), text: 'still here' })).status).toBe(202);
    const page = async (limit: number) =>
      ((await (await as(owner)('GET', `/conversations?limit=${limit}`)).json()) as { conversations: { conversationId: string }[] }).conversations.map(
        (c) => c.conversationId,
      );
    expect(await page(1)).toEqual([old]);
    expect(await page(2)).toEqual([old, newer]);
  });

  it('the msg.status consumer restarted in the middle of a burst of 500 messages: no transition lost or applied twice', async () => {
    const conversationId = await conversation(uniqueId('alice'), [uniqueId('bob')]);
    const ids = Array.from({ length: 500 }, () => randomUUID());
    await insertUndispatched(conversationId, ids);
    const base = { conversationId, organizationId: 'org-1', channel: 'instagram' as const };
    const half = ids.length / 2;
    await produceStatus(
      ctx,
      ids.slice(0, half).flatMap((messageId) => [
        { ...base, messageId, status: 'SENT' as const, at: Date.now() },
        { ...base, messageId, status: 'DELIVERED' as const, at: Date.now() },
      ]),
    );
    const count = async () =>
      Number((await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM message_transitions WHERE message_id IN (?)', [ids]))[0][0]!.n);
    await eventually(async () => (await count()) > 50, 30_000, 50); // mid-burst
    await statusConsumer.stop();
    await produceStatus(
      ctx,
      ids.slice(half).flatMap((messageId) => [
        { ...base, messageId, status: 'SENT' as const, at: Date.now() },
        { ...base, messageId, status: 'DELIVERED' as const, at: Date.now() },
      ]),
    );
    statusConsumer = await startMessageStatusConsumer(ctx, { groupId: statusGroup, fromBeginning: true });
    await eventually(async () => (await count()) >= 1000, 90_000, 250).catch(async (err: unknown) => {
      const admin = ctx.kafka().admin();
      await admin.connect();
      const committed = await admin.fetchOffsets({ groupId: statusGroup, topics: [names.topics.msgStatus] });
      const ends = await admin.fetchTopicOffsets(names.topics.msgStatus);
      await admin.disconnect();
      const client = await ctx.temporal();
      const running = await client.workflow.count(`TaskQueue = '${ctx.config.TEMPORAL_TASK_QUEUE}' AND ExecutionStatus = 'Running'`);
      throw new Error(
        `transitions recorded: ${await count()} of 1000; committed ${JSON.stringify(committed[0]?.partitions)} ends ${JSON.stringify(ends.map((e) => [e.partition, e.offset]))}; running ${running.count}`,
        { cause: err },
      );
    });
    const [rows] = await ctx
      .mysql()
      .query<RowDataPacket[]>('SELECT status, COUNT(*) AS n FROM message_transitions WHERE message_id IN (?) GROUP BY status', [ids]);
    expect(Object.fromEntries(rows.map((r) => [r.status as string, Number(r.n)]))).toEqual({ SENT: 500, DELIVERED: 500 });
    // Each transition was ticked to the conversation exactly once.
    const stream = channelKeys(conversationChannel(conversationId)).stream;
    await vi.waitFor(async () => expect(await ctx.redis().xlen(stream)).toBeGreaterThanOrEqual(1000), { timeout: 10_000, interval: 100 });
    expect(await ctx.redis().xlen(stream)).toBe(1000);
  }, 120_000);

  it('bad input: clear 4xx and nothing sent; a malformed msg.status record is dead-lettered and the partition keeps moving', async () => {
    const [alice, bob, mallory] = [uniqueId('alice'), uniqueId('bob'), uniqueId('mallory')];
    const id = await conversation(alice, [bob]);
    expect((await as(mallory)('POST', `/conversations/${id}/messages`, { clientMessageId: 'x', text: 'hi' })).status).toBe(404);
    for (const [text, status] of [
      ['   ', 400],
      ['x'.repeat(4097), 400],
    ] as const) {
      const res = await as(alice)('POST', `/conversations/${id}/messages`, { clientMessageId: uniqueId('c'), text });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe('text');
    }
    expect((await as(alice)('POST', `/conversations/${randomUUID()}/messages`, { clientMessageId: 'x', text: 'hi' })).status).toBe(404);
    expect((await as(alice)('POST', '/conversations', { organizationId: 'o', channel: 'telegram', members: [] })).status).toBe(400);
    const [[{ n }]] = (await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [id])) as unknown as [
      [{ n: number }],
    ];
    expect(Number(n)).toBe(0);

    const dead: string[] = [];
    const reader = await startKafkaConsumer({
      name: 'msg-dlq-reader',
      kafka: ctx.kafka(),
      producer: ctx.producer,
      log: ctx.log,
      groupId: uniqueId('msg-dlq'),
      topics: [dlqTopic(names.topics.msgStatus)],
      fromBeginning: false,
      handle: async (m) => void dead.push(`${m.headers?.['x-dlq-reason']?.toString() ?? ''}|${m.value?.toString() ?? ''}`),
    });
    await reader.ready;
    try {
      const marker = uniqueId('bad');
      const good = randomUUID();
      const stranger = randomUUID();
      await insertUndispatched(id, [good]);
      const producer = await ctx.producer();
      // Same key: the bad records sit in front of the good one on the same partition.
      await producer.send({
        topic: names.topics.msgStatus,
        messages: [
          { key: good, value: `garbage ${marker}` },
          { key: good, value: JSON.stringify({ messageId: good, status: 'SEEN', marker }) },
          // A well-formed report about a message that does not exist (or not in that conversation).
          {
            key: good,
            value: JSON.stringify({ messageId: stranger, conversationId: id, organizationId: marker, channel: 'whatsapp', status: 'SENT', at: Date.now() }),
          },
          {
            key: good,
            value: JSON.stringify({ messageId: good, conversationId: id, organizationId: 'org-1', channel: 'whatsapp', status: 'SENT', at: Date.now() }),
          },
        ],
      });
      await eventually(async () => {
        const [rows] = await ctx.mysql().query<RowDataPacket[]>("SELECT 1 FROM message_transitions WHERE message_id = ? AND status = 'SENT'", [good]);
        return rows.length === 1;
      }, 20_000);
      const mine = await eventually(async () => {
        const found = dead.filter((d) => d.includes(marker));
        return found.length === 3 && found;
      }, 20_000);
      expect(mine.map((d) => d.split('|')[0])).toEqual([
        'not JSON',
        expect.stringMatching(/^conversationId:/),
        expect.stringMatching(/^messageId: no message/),
      ]);
      const [strangers] = await ctx.mysql().query<RowDataPacket[]>('SELECT 1 FROM message_transitions WHERE message_id = ?', [stranger]);
      expect(strangers).toEqual([]);
    } finally {
      await reader.stop();
    }
  }, 60_000);
});
