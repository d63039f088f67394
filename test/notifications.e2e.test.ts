import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { startKafkaConsumer } from '../consumers/kafka-runner';
import { startNotificationsConsumer } from '../consumers/notifications';
import { latestSendYear } from '../domain/notification';
import { startGateway } from '../gateway/server';
import { SCOPES, signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { dlqTopic } from '../platform/names';
import { startWorker } from '../worker';
import { eventually, testContext, testNames, uniqueId } from './support/context';
import { TestClient } from './support/gateway';
import { userChannel } from '../contracts/channels';

const names = testNames();

// Scheduled notifications across the real servers: Kafka `notifications` → workflow (durable sleep)
// → the user's WebSocket through the gateway, the email topic's SQS queue, or the dead-letter topic.
describe('scheduled notifications across the real servers', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let gatewayUrl: string;
  let consumer: Awaited<ReturnType<typeof startNotificationsConsumer>>;
  let adminToken: string;
  const sockets: WebSocket[] = [];

  const api = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const userWithPrefs = async (channels: string[]) => {
    const userId = uniqueId('notified');
    const res = await api('PUT', `/users/${userId}/notification-preferences`, { timezone: 'UTC', channels });
    expect(res.status).toBe(200);
    return userId;
  };
  const connect = async (userId: string, query = '') => {
    const ws = new WebSocket(`${gatewayUrl}${query}`, { headers: { authorization: `Bearer ${await signToken(ctx.config, userId)}` } });
    sockets.push(ws);
    const client = new TestClient(ws);
    await client.opened;
    return client;
  };
  const produce = async (values: string[]) => (await ctx.producer()).send({ topic: names.topics.notifications, messages: values.map((value) => ({ value })) });
  const statusOf = async (id: string) => ((await (await api('GET', `/notifications/${id}`)).json()) as { status: string }).status;

  beforeAll(async () => {
    ctx = testContext({ GATEWAY_PORT: '0' });
    adminToken = await signToken(ctx.config, 'scheduler-service', { claims: { scope: SCOPES.scheduleAnyNotification } });
    app = createApiApp(ctx);
    gatewayUrl = await startGateway(ctx);
    await startWorker(ctx);
    consumer = await startNotificationsConsumer(ctx, { groupId: uniqueId('notifications-test'), fromBeginning: false });
    await consumer.ready;
  }, 60_000);
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await consumer?.stop();
    await ctx?.lifecycle.close();
  });

  it('a Kafka record due in a few seconds reaches the live WebSocket at that time; a user who connects later still gets it', async () => {
    const online = await userWithPrefs(['web']);
    const offline = await userWithPrefs(['web']);
    const client = await connect(online);
    await client.next('subscribed');
    const sendAt = Date.now() + 3_000;
    const ids = [uniqueId('n'), uniqueId('n')];
    await produce([
      JSON.stringify({ notificationId: ids[0], userId: online, channel: 'web', sendAt: new Date(sendAt).toISOString(), title: 'Hello', body: 'live' }),
      JSON.stringify({ notificationId: ids[1], userId: offline, channel: 'web', sendAt: new Date(sendAt).toISOString(), title: 'Hello', body: 'later' }),
    ]);
    const frame = await client.next('event', userChannel(online), 15_000);
    const arrived = Date.now();
    expect(frame).toMatchObject({ event: 'notification', data: { notificationId: ids[0], title: 'Hello', body: 'live' } });
    expect(arrived).toBeGreaterThanOrEqual(sendAt);
    await eventually(async () => (await statusOf(ids[0]!)) === 'SENT');

    // The offline user's notification went into their channel's history; connecting from the
    // start of it (since=0-0, a first connection) replays it.
    await eventually(async () => (await statusOf(ids[1]!)) === 'SENT', 15_000);
    const later = await connect(offline, '?since=0-0');
    const replayed = await later.next('event', userChannel(offline));
    expect(replayed).toMatchObject({ event: 'notification', data: { notificationId: ids[1], body: 'later' } });
    const inbox = (await (await api('GET', `/notifications?userId=${offline}&status=SENT`)).json()) as { notifications: { notificationId: string }[] };
    expect(inbox.notifications.map((n) => n.notificationId)).toEqual([ids[1]]);
  }, 40_000);

  it("an email notification lands in the email topic's SQS queue", async () => {
    const userId = await userWithPrefs(['email']);
    const id = uniqueId('mail');
    const res = await api('POST', '/notifications', {
      notificationId: id,
      userId,
      channel: 'email',
      sendAt: new Date(Date.now() + 1_000).toISOString(),
      template: 'welcome',
      data: { name: 'Ana' },
    });
    expect(res.status).toBe(202);
    const sqs = ctx.sqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queues.notifyEmail.name }));
    const found = await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const mine = Messages.find((m) => m.Body?.includes(id));
        if (mine) await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: mine.ReceiptHandle }));
        return mine;
      },
      20_000,
      50,
    );
    expect(JSON.parse(found.Body!)).toMatchObject({ notificationId: id, template: 'welcome', data: { name: 'Ana' } });
    await eventually(async () => (await statusOf(id)) === 'SENT');
  }, 30_000);

  it('bad Kafka records are dead-lettered with a reason while the good record behind them is delivered', async () => {
    const dead: { reason: string; value: string }[] = [];
    const reader = await startKafkaConsumer({
      name: 'notify-dlq-reader',
      kafka: ctx.kafka(),
      producer: ctx.producer,
      log: ctx.log,
      groupId: uniqueId('notify-dlq'),
      topics: [dlqTopic(names.topics.notifications)],
      fromBeginning: false,
      handle: async (m) => void dead.push({ reason: m.headers?.['x-dlq-reason']?.toString() ?? '', value: m.value?.toString() ?? '' }),
    });
    await reader.ready;
    try {
      const userId = await userWithPrefs(['web']);
      const marker = uniqueId('bad');
      const good = uniqueId('good');
      const base = { userId, title: 't', body: marker, sendAt: new Date(Date.now() + 500).toISOString() };
      await produce([
        `{not json ${marker}`,
        JSON.stringify({ ...base, notificationId: uniqueId('x'), channel: 'pigeon' }),
        // No content: neither title and body nor a template. (A sendAt in the past is not refused: it is sent at once.)
        JSON.stringify({ userId, notificationId: uniqueId('x'), channel: 'web', sendAt: base.sendAt, data: { marker } }),
        JSON.stringify({ ...base, notificationId: uniqueId('x'), channel: 'web', sendAt: `${latestSendYear(Date.now()) + 1}-01-01T00:00:00Z` }),
        JSON.stringify({ ...base, notificationId: good, channel: 'web' }),
      ]);
      await eventually(async () => (await statusOf(good)) === 'SENT', 20_000);
      const mine = await eventually(async () => {
        const found = dead.filter((d) => d.value.includes(marker));
        return found.length === 4 && found;
      }, 20_000);
      // Unkeyed records spread over partitions, so the dead letters come in any order.
      expect(mine.map((d) => d.reason).sort()).toEqual([
        'body: give title and body, or template',
        'channel: one of web, email, sms, push',
        'not JSON',
        `sendAt: must be in ${latestSendYear(Date.now())} at the latest`,
      ]);
    } finally {
      await reader.stop();
    }
  }, 40_000);

  it('HTTP: reschedule and cancel while pending, 409 afterwards; bad input is a 400 naming the field', async () => {
    const userId = await userWithPrefs(['web']);
    const id = uniqueId('ctl');
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    expect((await api('POST', '/notifications', { notificationId: id, userId, channel: 'web', sendAt: inAnHour, title: 'a', body: 'b' })).status).toBe(202);
    const again = await api('POST', '/notifications', { notificationId: id, userId, channel: 'web', sendAt: inAnHour, title: 'a', body: 'b' });
    expect(await again.json()).toMatchObject({ duplicate: true });
    const later = new Date(Date.now() + 7_200_000).toISOString();
    const patched = await api('PATCH', `/notifications/${id}`, { sendAt: later });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ status: 'SCHEDULED', sendAt: later });
    const cancelled = await api('DELETE', `/notifications/${id}`);
    expect(await cancelled.json()).toMatchObject({ status: 'CANCELLED' });
    expect((await api('DELETE', `/notifications/${id}`)).status).toBe(409);
    expect((await api('PATCH', `/notifications/${id}`, { sendAt: later })).status).toBe(409);
    await eventually(async () => (await statusOf(id)) === 'CANCELLED');

    const ok = { notificationId: uniqueId('v'), userId, channel: 'web', sendAt: inAnHour, title: 'a', body: 'b' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ok, channel: 'fax' }, 'channel'],
      [{ ...ok, sendAt: 'tomorrow' }, 'sendAt'],
      [{ ...ok, sendAt: `${latestSendYear(Date.now()) + 1}-01-01T00:00:00Z` }, 'sendAt'],
      [{ ...ok, notificationId: 'has spaces' }, 'notificationId'],
      [{ ...ok, title: undefined, body: undefined }, 'body'],
      [{ ...ok, data: { blob: 'x'.repeat(20_000) } }, 'data'],
    ];
    for (const [body, field] of cases) {
      const res = await api('POST', '/notifications', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    }
    expect((await api('PUT', `/users/${userId}/notification-preferences`, { timezone: 'Mars/Base', channels: [] })).status).toBe(400);
    expect((await api('GET', `/notifications/${ok.notificationId}`)).status).toBe(404);
    // A sendAt in the past is not refused (the OpenAPI document cannot state "after now"): it is sent
    // as soon as possible, and stored with the time it is due at.
    const overdue = { ...ok, notificationId: uniqueId('past'), sendAt: '2020-01-01T00:00:00Z' };
    const posted = Date.now();
    expect((await api('POST', '/notifications', overdue)).status).toBe(202);
    const stored = (await (await api('GET', `/notifications/${overdue.notificationId}`)).json()) as { sendAt: string };
    expect(Date.parse(stored.sendAt)).toBeGreaterThanOrEqual(posted - 1000);
    await eventually(async () => (await statusOf(overdue.notificationId)) === 'SENT', 20_000);
  }, 40_000);
  it("a user's list pages with nextCursor, latest send time first, whatever the status filter; a forged cursor is refused naming cursor", async () => {
    const userId = await userWithPrefs(['web']);
    const base = Date.now() + 3_600_000;
    // Two at the same time: the id orders them, so none is skipped or repeated at a page edge.
    const at = [0, 60_000, 60_000, 120_000, 180_000].map((d) => new Date(base + d).toISOString());
    const ids = at.map(() => uniqueId('page'));
    const made = await api('POST', '/notifications/batch', {
      notifications: ids.map((notificationId, i) => ({ notificationId, userId, channel: 'web', sendAt: at[i], title: 't', body: String(i) })),
    });
    expect(made.status).toBe(202);
    expect((await api('DELETE', `/notifications/${ids[4]}`)).status).toBe(200);
    const pages = async (query: string) => {
      const seen: { notificationId: string; sendAt: string; status: string }[][] = [];
      let cursor: string | null = null;
      do {
        const res = await api('GET', `/notifications?userId=${userId}&limit=2${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { notifications: { notificationId: string; sendAt: string; status: string }[]; nextCursor: string | null };
        seen.push(body.notifications);
        cursor = body.nextCursor;
      } while (cursor && seen.length < 10);
      return seen;
    };
    const all = await pages('');
    expect(all.map((p) => p.length)).toEqual([2, 2, 1]);
    const flat = all.flat();
    expect(new Set(flat.map((n) => n.notificationId))).toEqual(new Set(ids));
    expect(flat.map((n) => n.sendAt)).toEqual([...flat.map((n) => n.sendAt)].sort().reverse());
    expect(flat[0]).toMatchObject({ notificationId: ids[4], status: 'CANCELLED' });
    const scheduled = (await pages('&status=SCHEDULED')).flat();
    expect(scheduled.map((n) => n.notificationId).sort()).toEqual(ids.slice(0, 4).sort());
    const forged = await api('GET', `/notifications?userId=${userId}&cursor=not-a-cursor`);
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { field: 'cursor' } });
    for (const id of ids.slice(0, 4)) await api('DELETE', `/notifications/${id}`);
  });
});
