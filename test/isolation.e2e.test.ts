import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventSinkFromSqs, startEventSinkFromSqsAndKafka } from '../consumers/events';
import { topicArn } from '../platform/clients/aws';
import type { Context } from '../runtime/context';
import { closeRedis, createRedis } from '../platform/clients/redis';
import { newEphemeralEnv, namesOf } from '../platform/names';
import { ensureDatabase } from '../provision/database';
import { provisionAll } from '../provision/index';
import { teardownEnvironment } from '../provision/teardown';
import { startWorker } from '../worker';
import { ping, pingWorkflowId } from '../workflows/ping';
import { eventually, testContext, uniqueId } from './support/context';
import { gatewayFixture } from './support/gateway';
import { userChannel } from '../contracts/channels';

// Two environments at once on the same servers (this run's, and a second one made here), each with
// its own consumers running: what one publishes, the other never receives.
describe('environments side by side (TIDINGS_ENV)', () => {
  const envB = newEphemeralEnv('test');
  let a: Context;
  let b: Context;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    a = testContext({ SQS_WAIT_SECONDS: '1', KAFKA_NEW_GROUP_FROM: 'latest' });
    b = testContext({ TIDINGS_ENV: envB, SQS_WAIT_SECONDS: '1', KAFKA_NEW_GROUP_FROM: 'latest' });
    await ensureDatabase(b.config);
    await provisionAll({ config: b.config, log: b.log, kafka: b.kafka(), sns: b.sns(), sqs: b.sqs(), mysql: b.mysql() });
    for (const ctx of [a, b]) {
      const group = uniqueId('iso');
      const consumers = [
        await startEventSinkFromSqs(ctx, { waitSeconds: 1 }),
        await startEventSinkFromSqsAndKafka(ctx, { waitSeconds: 1, groupId: group, fromBeginning: false }),
      ];
      stops.push(...consumers.map((c) => () => c.stop()));
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(stops.map((s) => s()));
    const redis = createRedis(b.config, b.log, 'teardown', { keyPrefix: '' });
    await teardownEnvironment({ config: b.config, log: b.log, kafka: b.kafka(), sns: b.sns(), sqs: b.sqs(), redis, temporal: await b.temporal() }).finally(() =>
      closeRedis(redis),
    );
    await Promise.all([a.lifecycle.close(), b.lifecycle.close()]);
  }, 120_000);

  const sinkRows = async (ctx: Context, sink: 'b' | 'c', eventId: string) => {
    const [rows] = await ctx.mysql().query<RowDataPacket[]>(`SELECT source FROM event_store_${sink} WHERE event_id = ?`, [eventId]);
    return rows.map((r) => String(r.source));
  };

  it('names differ for every kind of resource', () => {
    const [na, nb] = [namesOf(a.config), namesOf(b.config)];
    expect(na.allKafkaTopics().filter((t) => nb.allKafkaTopics().includes(t))).toEqual([]);
    expect(na.allQueues().filter((q) => nb.allQueues().includes(q))).toEqual([]);
    expect(na.redisPrefix).not.toBe(nb.redisPrefix);
    expect(a.config.MYSQL_DATABASE).not.toBe(b.config.MYSQL_DATABASE);
    expect(a.config.TEMPORAL_TASK_QUEUE).not.toBe(b.config.TEMPORAL_TASK_QUEUE);
  });

  it('an event published over SNS and Kafka in one environment reaches only its own consumers', async () => {
    for (const [from, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const event = {
        eventId: randomUUID(),
        type: 'isolation.check',
        payload: { from: from.config.TIDINGS_ENV },
        userId: uniqueId('u'),
        acceptedAt: new Date().toISOString(),
      };
      const body = JSON.stringify(event);
      const names = namesOf(from.config);
      await from.sns().send(new PublishCommand({ TopicArn: topicArn(from.config, names.snsTopics.events.name), Message: body }));
      await (await from.producer()).send({ topic: names.topics.events, messages: [{ key: event.eventId, value: body }] });

      // Its own consumers store it from SQS (B) and from SQS + Kafka (C) ...
      await eventually(async () => (await sinkRows(from, 'b', event.eventId)).length === 1 && (await sinkRows(from, 'c', event.eventId)).length === 1, 30_000);
      // ... and the other environment's consumers, polling the whole time, never saw it.
      await new Promise((r) => setTimeout(r, 1_500)); // time passing is the point: a quiet window in which the other consumers poll
      expect(await sinkRows(other, 'b', event.eventId)).toEqual([]);
      expect(await sinkRows(other, 'c', event.eventId)).toEqual([]);
    }
  });

  it('gateway channels of the same name are separate per environment (Redis keys and pub/sub)', async () => {
    const fa = gatewayFixture();
    const fb = gatewayFixture({ TIDINGS_ENV: envB });
    try {
      const user = uniqueId('u');
      const [ga, gb] = [await fa.instance(), await fb.instance()];
      const ca = await fa.connect(ga.url, await fa.token(user));
      const cb = await fb.connect(gb.url, await fb.token(user));
      // Subscribed (Redis confirmed) before anything is published: a connection without `since`
      // gets live events only.
      await Promise.all([ca.next('subscribed'), cb.next('subscribed')]);
      await fa.publisher.publish(userChannel(user), 'only-a', { n: 1 });
      await fb.publisher.publish(userChannel(user), 'only-b', { n: 2 });
      await ca.until((f) => f.some((x) => x.event === 'only-a'));
      await cb.until((f) => f.some((x) => x.event === 'only-b'));
      await new Promise((r) => setTimeout(r, 300)); // time passing is the point: a quiet window for a stray cross-environment event
      expect(ca.frames.filter((x) => x.type === 'event').map((x) => x.event)).toEqual(['only-a']);
      expect(cb.frames.filter((x) => x.type === 'event').map((x) => x.event)).toEqual(['only-b']);
    } finally {
      await Promise.all([fa.close(), fb.close()]);
    }
  });

  it('the same business id starts one workflow per environment, each run by its own worker', async () => {
    const pingId = uniqueId('same');
    await Promise.all([startWorker(a), startWorker(b)]);
    const results = await Promise.all(
      [a, b].map(async (ctx) =>
        (await ctx.temporal()).workflow.execute(ping, {
          taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
          workflowId: pingWorkflowId(ctx.config.TIDINGS_ENV, pingId),
          args: [{ pingId }],
        }),
      ),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    // Each environment's probe went through its own SNS topic and SQS queue.
    expect(results.map((r) => r.probes.find((p) => p.server === 'sns-sqs')?.detail)).toEqual([
      `received from ${a.config.TIDINGS_ENV}-tidings-ping`,
      `received from ${envB}-tidings-ping`,
    ]);
  });
});
