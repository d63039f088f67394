import { SendMessageCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { RowDataPacket } from 'mysql2/promise';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { startEventSinkFromSqs, startEventSinkFromSqsAndKafka } from '../consumers/events';
import { startKafkaConsumer } from '../consumers/kafka-runner';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { dlqTopic } from '../platform/names';
import { EVENT_TRAIL_EVENT, type EventEnvelope } from '../contracts/events';
import { userChannel } from '../contracts/channels';
import { createEventActivities } from '../activities/events';
import { storedEvent } from '../gateway/history';
import { finishEvent, insertAcceptedEvent, sinkRow, storeInSink, type EventTrail } from '../stores/events';
import { inTransaction } from '../platform/db/transaction';
import { eventWorkflowId } from '../contracts/events';
import { startWorker } from '../worker';
import { eventually, groupAtEnd, testContext, testNames, uniqueId } from './support/context';

const names = testNames();

// The fan-out across the real servers: API → Temporal → SNS (events-b, events-c) + Kafka → consumers
// B and C → MySQL, with the trail read back through the API.
describe('event fan-out across the real servers', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let token: string;
  const userId = uniqueId('user');
  const groupId = uniqueId('events-c-test');
  let consumerB: Awaited<ReturnType<typeof startEventSinkFromSqs>>;
  let consumerC: Awaited<ReturnType<typeof startEventSinkFromSqsAndKafka>> | undefined;
  const startC = async () => {
    consumerC = await startEventSinkFromSqsAndKafka(ctx, { groupId, fromBeginning: true, waitSeconds: 1 });
    await consumerC.ready;
  };

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.request('/events', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const trail = async (eventId: string): Promise<EventTrail> =>
    (await (await app.request(`/events/${eventId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as EventTrail;
  const eventsOfUser = async () =>
    (await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM events WHERE user_id = ?', [userId]))[0][0]!.n as number;

  beforeAll(async () => {
    ctx = testContext({ SQS_WAIT_SECONDS: '1' });
    token = await signToken(ctx.config, userId);
    app = createApiApp(ctx);
    await startWorker(ctx);
    consumerB = await startEventSinkFromSqs(ctx, { waitSeconds: 1 });
    await groupAtEnd(ctx.kafka(), groupId, names.topics.events);
    await startC();
  }, 60_000);
  afterAll(async () => {
    await consumerB?.stop();
    await consumerC?.stop();
    await ctx?.lifecycle.close();
  });

  it('one POST: both consumers store the event once, the trail is complete, the run completes', async () => {
    const res = await post({ type: 'order.created', payload: { orderId: 42 } });
    expect(res.status).toBe(202);
    const { eventId, statusUrl, temporalUi } = (await res.json()) as { eventId: string; statusUrl: string; temporalUi: string };
    expect(statusUrl).toBe(`/events/${eventId}`);
    expect(temporalUi).toContain(eventWorkflowId(ctx.config.TIDINGS_ENV, eventId));

    const done = await eventually(async () => {
      const t = await trail(eventId);
      return t.complete && t.status === 'COMPLETED' && t;
    }, 30_000);
    expect(done.steps.map((s) => s.step)).toEqual(['accepted', 'published_sns', 'published_kafka', 'stored_b', 'stored_c']);
    expect(done.pending).toEqual([]);
    expect(done.steps.every((s) => s.latencyMs >= 0)).toBe(true);
    expect(await sinkRow(ctx.mysql(), 'b', eventId)).toMatchObject({ rows: 1 });
    // C hears of the event twice (its SQS queue and Kafka) and stores it once.
    expect(await sinkRow(ctx.mysql(), 'c', eventId)).toMatchObject({ rows: 1 });
    const client = await ctx.temporal();
    const run = client.workflow.getHandle(eventWorkflowId(ctx.config.TIDINGS_ENV, eventId));
    expect(await run.result()).toMatchObject({ status: 'COMPLETED', published: { sns: true, kafka: true }, stored: { b: true, c: true } });

    const list = (await (await app.request('/events?type=order.created&limit=5', { headers: { authorization: `Bearer ${token}` } })).json()) as {
      events: { eventId: string }[];
    };
    expect(list.events.map((e) => e.eventId)).toContain(eventId);
  }, 40_000);

  it('consumer C down: the trail shows C pending; C back: it completes with nothing duplicated', async () => {
    await consumerC!.stop();
    consumerC = undefined;
    const { eventId } = (await (await post({ type: 'order.paid', payload: { orderId: 7 } })).json()) as { eventId: string };
    const partial = await eventually(async () => {
      const t = await trail(eventId);
      return t.steps.some((s) => s.step === 'stored_b') && t.steps.some((s) => s.step === 'published_kafka') && t;
    }, 30_000);
    expect(partial.pending).toEqual(['stored_c']);
    expect(partial.complete).toBe(false);
    expect(await sinkRow(ctx.mysql(), 'c', eventId)).toMatchObject({ rows: 0 });

    await startC();
    const done = await eventually(async () => {
      const t = await trail(eventId);
      return t.complete && t.status === 'COMPLETED' && t;
    }, 30_000);
    expect(done.pending).toEqual([]);
    expect(await sinkRow(ctx.mysql(), 'c', eventId)).toMatchObject({ rows: 1 });
    expect(await sinkRow(ctx.mysql(), 'b', eventId)).toMatchObject({ rows: 1 });
  }, 70_000);

  it('duplicate SQS deliveries and a Kafka redelivery after a consumer restart are stored once', async () => {
    const envelope: EventEnvelope = { eventId: randomUUID(), type: 'dup.test', payload: { n: 1 }, userId, acceptedAt: new Date().toISOString() };
    const body = JSON.stringify(envelope);
    for (const queue of [names.queues.eventsB.name, names.queues.eventsB.name, names.queues.eventsC.name, names.queues.eventsC.name]) {
      const { QueueUrl } = await ctx.sqs().send(new GetQueueUrlCommand({ QueueName: queue }));
      await ctx.sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    }
    const producer = await ctx.producer();
    await producer.send({ topic: names.topics.events, messages: [{ key: envelope.eventId, value: body }] });
    await eventually(async () => (await sinkRow(ctx.mysql(), 'b', envelope.eventId)).deliveries >= 2, 20_000);
    await eventually(async () => (await sinkRow(ctx.mysql(), 'c', envelope.eventId)).deliveries >= 3, 20_000);

    // Restart C and deliver the same record on Kafka again.
    await consumerC!.stop();
    await startC();
    await producer.send({ topic: names.topics.events, messages: [{ key: envelope.eventId, value: body }] });
    await eventually(async () => (await sinkRow(ctx.mysql(), 'c', envelope.eventId)).deliveries >= 4, 20_000);
    expect(await sinkRow(ctx.mysql(), 'b', envelope.eventId)).toEqual({ rows: 1, deliveries: 2 });
    expect(await sinkRow(ctx.mysql(), 'c', envelope.eventId)).toEqual({ rows: 1, deliveries: 4 });
  }, 60_000);

  it("a run hears each consumer once: C's two copies (SQS and Kafka) make one signal", async () => {
    // A run no worker picks up keeps every signal in its history, so the count does not depend on
    // when it would have ended (a signal after its end is refused, one during its last task fails that task).
    const envelope: EventEnvelope = { eventId: randomUUID(), type: 'signal.count', payload: { n: 1 }, userId, acceptedAt: new Date().toISOString() };
    const client = await ctx.temporal();
    const run = await client.workflow.start('eventFanOut', {
      taskQueue: uniqueId('no-worker'),
      workflowId: eventWorkflowId(ctx.config.TIDINGS_ENV, envelope.eventId),
      args: [{ event: envelope, confirmTimeoutMs: 60_000 }],
    });
    try {
      const body = JSON.stringify(envelope);
      for (const queue of [names.queues.eventsB.name, names.queues.eventsC.name]) {
        const { QueueUrl } = await ctx.sqs().send(new GetQueueUrlCommand({ QueueName: queue }));
        await ctx.sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
      }
      const producer = await ctx.producer();
      await producer.send({ topic: names.topics.events, messages: [{ key: envelope.eventId, value: body }] });
      await eventually(async () => (await sinkRow(ctx.mysql(), 'c', envelope.eventId)).deliveries >= 2, 20_000);
      const signals = async () => {
        const { events } = await run.fetchHistory();
        return (events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
      };
      await eventually(async () => (await signals()) >= 2, 20_000);
      // Long enough for the second copy's signal, had it been sent (its delivery is counted before it).
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await signals()).toBe(2);
    } finally {
      await run.terminate('test over');
    }
  }, 60_000);

  it('a malformed Kafka record is dead-lettered with its reason and the records behind it are stored', async () => {
    const dlq: { reason: string; value: string }[] = [];
    const reader = await startKafkaConsumer({
      name: 'dlq-reader',
      kafka: ctx.kafka(),
      producer: ctx.producer,
      log: ctx.log,
      groupId: uniqueId('dlq-reader'),
      topics: [dlqTopic(names.topics.events)],
      fromBeginning: false,
      handle: async (m) => void dlq.push({ reason: m.headers?.['x-dlq-reason']?.toString() ?? '', value: m.value?.toString() ?? '' }),
    });
    await reader.ready;
    try {
      const marker = uniqueId('poison');
      const good: EventEnvelope = { eventId: randomUUID(), type: 'after.poison', payload: {}, userId, acceptedAt: new Date().toISOString() };
      const producer = await ctx.producer();
      await producer.send({
        topic: names.topics.events,
        messages: [
          { key: marker, value: `not json ${marker}` },
          { key: marker, value: JSON.stringify({ eventId: 'nope', marker }) },
          { key: good.eventId, value: JSON.stringify(good) },
        ],
      });
      await eventually(async () => (await sinkRow(ctx.mysql(), 'c', good.eventId)).rows === 1, 20_000);
      const mine = await eventually(async () => {
        const found = dlq.filter((d) => d.value.includes(marker));
        return found.length === 2 && found;
      }, 20_000);
      expect(mine[0]!.reason).toBe('invalid event envelope: not JSON');
      expect(mine[1]!.reason).toMatch(/^invalid event envelope: eventId/);
    } finally {
      await reader.stop();
    }
  }, 60_000);

  it('Idempotency-Key: a retry returns the same event; the key with another body is 409', async () => {
    const key = uniqueId('idem');
    const first = (await (await post({ type: 'idem.test', payload: { a: 1 } }, { 'idempotency-key': key })).json()) as { eventId: string };
    const again = await post({ type: 'idem.test', payload: { a: 1 } }, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { eventId: string }).eventId).toBe(first.eventId);
    const other = await post({ type: 'idem.test', payload: { a: 2 } }, { 'idempotency-key': key });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ error: { code: 'idempotency_key_reused', field: 'Idempotency-Key' } });
  }, 30_000);

  it('bad input: 400 naming the field, nothing recorded or published', async () => {
    const before = await eventsOfUser();
    const cases: [unknown, string][] = [
      [{ payload: {} }, 'type'],
      [{ type: 'x', payload: 'text' }, 'payload'],
      [{ type: 'has space', payload: {} }, 'type'],
      [{ type: 'big', payload: { blob: 'x'.repeat(70_000) } }, 'payload'],
      ['{not json', 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    }
    const huge = await post({ type: 'huge', payload: { blob: 'x'.repeat(300_000) } });
    expect(huge.status).toBe(413);
    expect((await app.request('/events', { method: 'POST', body: '{}' })).status).toBe(401);
    expect(await eventsOfUser()).toBe(before);
    const unknown = await app.request(`/events/${randomUUID()}`, { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(404);
  });

  it("the verdict's step run twice (a local activity whose workflow task was retried) is pushed to the owner once", async () => {
    const eventId = randomUUID();
    const e = { eventId, type: 'order.created', payload: { n: 1 }, userId, acceptedAt: new Date().toISOString() };
    await inTransaction(ctx.mysql(), (conn) => insertAcceptedEvent(conn, e));
    const steps = createEventActivities({ config: ctx.config, sns: ctx.sns(), producer: ctx.producer, mysql: ctx.mysql(), publisher: ctx.publisher });
    expect(await steps.finishEvent(eventId, userId, 'INCOMPLETE')).toBe('INCOMPLETE');
    expect(await steps.finishEvent(eventId, userId, 'INCOMPLETE')).toBe('INCOMPLETE');
    const entries = await ctx.redis().xrange(`stream:{${userChannel(userId)}}`, '-', '+');
    const pushed = entries
      .map(([, fields]) => storedEvent(fields))
      .filter((s) => s.event === EVENT_TRAIL_EVENT && (s.data as { eventId?: string }).eventId === eventId);
    expect(pushed.map((s) => (s.data as { step: string }).step)).toEqual(['INCOMPLETE']);
  });

  it('a run that gave up (INCOMPLETE) ends the event COMPLETED when the store shows both consumers stored it (confirmations after the deadline); INCOMPLETE when one did not', async () => {
    const row = (eventId: string) => ({ eventId, type: 'order.created', payload: { n: 1 }, userId, acceptedAt: new Date().toISOString() });
    const both = row(randomUUID());
    const one = row(randomUUID());
    for (const e of [both, one]) await inTransaction(ctx.mysql(), (conn) => insertAcceptedEvent(conn, e));
    await storeInSink(ctx.mysql(), 'b', both, 'sqs');
    await storeInSink(ctx.mysql(), 'c', both, 'kafka');
    await storeInSink(ctx.mysql(), 'b', one, 'sqs');
    expect(await finishEvent(ctx.mysql(), both.eventId, 'INCOMPLETE')).toBe('COMPLETED');
    expect(await finishEvent(ctx.mysql(), one.eventId, 'INCOMPLETE')).toBe('INCOMPLETE');
    const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT event_id, status FROM events WHERE event_id IN (?, ?)', [both.eventId, one.eventId]);
    expect(Object.fromEntries(rows.map((r) => [r.event_id as string, r.status as string]))).toEqual({
      [both.eventId]: 'COMPLETED',
      [one.eventId]: 'INCOMPLETE',
    });
  });
});
