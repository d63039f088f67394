import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationSchedulerActivities, type NotificationSchedulerDeps } from '../activities/notification-scheduler';
import type { NotificationRequest, Preferences } from '../domain/notification';
import { bucketWorkflowId, shardOf } from '../domain/notification-buckets';
import { readHistory } from '../gateway/history';
import type { Context } from '../runtime/context';
import { cancelNotification, rescheduleNotification, scheduleNotifications } from '../services/notification-scheduler';
import { savePreferences } from '../stores/notifications';
import { closeRedis, createRedis } from '../platform/clients/redis';
import { newEphemeralEnv } from '../platform/names';
import { ensureDatabase } from '../provision/database';
import { provisionAll } from '../provision/index';
import { teardownEnvironment } from '../provision/teardown';
import { testContext, uniqueId } from '../test/support/context';
import { useTimeSkipping } from '../test/support/temporal';
import { notificationBucket } from './notification-bucket';
import { userChannel } from '../contracts/channels';

// The bucket workflow on the time-skipping server with its real activity against the real MySQL
// and Redis: days pass in milliseconds, and what reaches the user is read back from the user's
// gateway channel.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('notification buckets (time-skipping server, real MySQL and Redis)', () => {
  const ts = useTimeSkipping();
  let ctx: Context;
  let failing: Context;

  // An environment of its own: on this server's skipped clock (years ahead) every pending row of a
  // shard is due, so sharing the run's database would let these buckets fire the other suites' rows.
  const env = newEphemeralEnv('test');
  beforeAll(async () => {
    ctx = testContext({ TIDINGS_ENV: env, NOTIFY_SHARDS: '1', NOTIFY_BATCH: '2' });
    // Same database and task queue, but SNS unreachable: email delivery fails every time.
    failing = testContext({
      TIDINGS_ENV: env,
      NOTIFY_SHARDS: '1',
      NOTIFY_MAX_ATTEMPTS: '3',
      AWS_ENDPOINT: 'http://127.0.0.1:1',
      TEMPORAL_TASK_QUEUE: `${ctx.config.TEMPORAL_TASK_QUEUE}-failing`,
    });
    await ensureDatabase(ctx.config);
    await provisionAll({ config: ctx.config, log: ctx.log, kafka: ctx.kafka(), sns: ctx.sns(), sqs: ctx.sqs(), mysql: ctx.mysql() });
  }, 120_000);
  afterAll(async () => {
    const redis = createRedis(ctx.config, ctx.log, 'teardown', { keyPrefix: '' });
    await teardownEnvironment({
      config: ctx.config,
      log: ctx.log,
      kafka: ctx.kafka(),
      sns: ctx.sns(),
      sqs: ctx.sqs(),
      redis,
      temporal: await ctx.temporal(),
    }).finally(() => closeRedis(redis));
    await Promise.all([ctx?.lifecycle.close(), failing?.lifecycle.close()]);
  }, 120_000);

  const depsOf = (c: Context): NotificationSchedulerDeps => ({
    config: c.config,
    mysql: c.mysql(),
    sns: c.sns(),
    producer: c.producer,
    publisher: c.publisher,
    temporal: async () => ts.env.client,
    startDelay: false,
  });

  async function withWorker<T>(c: Context, body: () => Promise<T>): Promise<T> {
    const worker = await ts.worker({
      taskQueue: c.config.TEMPORAL_TASK_QUEUE,
      activities: createNotificationSchedulerActivities(depsOf(c)),
    });
    return worker.runUntil(body());
  }

  async function user(prefs: Partial<Preferences> = {}): Promise<string> {
    const id = uniqueId('nu');
    await savePreferences(ctx.mysql(), id, { timezone: 'UTC', channels: ['web', 'email'], quietHours: null, mutedUntil: null, ...prefs });
    return id;
  }
  const request = (userId: string, sendAt: number, channel: NotificationRequest['channel'] = 'web'): NotificationRequest => ({
    notificationId: uniqueId('n'),
    userId,
    channel,
    sendAt: new Date(sendAt).toISOString(),
    title: 'Hello',
    body: 'there',
  });
  const schedule = async (c: Context, ...items: NotificationRequest[]) => scheduleNotifications(depsOf(c), items, 'api', await ts.env.currentTimeMs());
  const row = async (id: string) => {
    const [rows] = await ctx
      .mysql()
      .query<RowDataPacket[]>('SELECT status, reason, send_at, bucket_id, fired_by, attempts FROM notifications WHERE notification_id = ?', [id]);
    return rows[0]!;
  };
  const bucketOf = async (id: string) => ts.env.client.workflow.getHandle(String((await row(id)).bucket_id));
  /** Notification ids that reached the user's channel, in order (each once, or the list shows it). */
  const delivered = async (userId: string) =>
    (await readHistory(ctx.redis(), userChannel(userId), '0-0')).events
      .filter((e) => e.event === 'notification')
      .map((e) => (e.data as { notificationId: string }).notificationId);

  it('fires a notification a day ahead at its time, not before, once', async () => {
    const u = await user();
    const n = request(u, (await ts.env.currentTimeMs()) + DAY);
    await withWorker(ctx, async () => {
      await schedule(ctx, n);
      await ts.env.sleep(DAY - 60_000);
      expect((await row(n.notificationId)).status).toBe('SCHEDULED');
      expect(await delivered(u)).toEqual([]);
      expect(await (await bucketOf(n.notificationId)).result()).toMatchObject({ sent: 1 });
    });
    const r = await row(n.notificationId);
    expect(r.status).toBe('SENT');
    expect(r.fired_by).toBe(r.bucket_id);
    expect(await delivered(u)).toEqual([n.notificationId]);
  });

  it('a cancel before the fire leaves the bucket nothing to send', async () => {
    const u = await user();
    const n = request(u, (await ts.env.currentTimeMs()) + HOUR);
    await withWorker(ctx, async () => {
      await schedule(ctx, n);
      expect((await cancelNotification(depsOf(ctx), n.notificationId))?.status).toBe('CANCELLED');
      expect(await (await bucketOf(n.notificationId)).result()).toMatchObject({ sent: 0 });
    });
    expect((await row(n.notificationId)).status).toBe('CANCELLED');
    expect(await delivered(u)).toEqual([]);
  });

  it('a reschedule across buckets: the old bucket skips it, the new one fires it at the new time', async () => {
    const u = await user();
    const start = await ts.env.currentTimeMs();
    const n = request(u, start + HOUR);
    await withWorker(ctx, async () => {
      await schedule(ctx, n);
      const first = await bucketOf(n.notificationId);
      await rescheduleNotification(depsOf(ctx), n.notificationId, start + 2 * HOUR, await ts.env.currentTimeMs());
      const second = await bucketOf(n.notificationId);
      expect(second.workflowId).not.toBe(first.workflowId);
      expect(await first.result()).toMatchObject({ sent: 0 });
      // Not sent by the old bucket. Nothing else is pending, so the test server may skip straight
      // to the new bucket, which can claim the row (SENDING) or send it before this read.
      expect(['SCHEDULED', 'SENDING', 'SENT']).toContain((await row(n.notificationId)).status);
      expect(await second.result()).toMatchObject({ sent: 1 });
      expect(await ts.env.currentTimeMs()).toBeGreaterThanOrEqual(start + 2 * HOUR);
    });
    expect(await delivered(u)).toEqual([n.notificationId]);
  });

  it('a reschedule into the past fires at once', async () => {
    const u = await user();
    const start = await ts.env.currentTimeMs();
    const n = request(u, start + DAY);
    await withWorker(ctx, async () => {
      await schedule(ctx, n);
      await rescheduleNotification(depsOf(ctx), n.notificationId, start - 60_000, start);
      const bucket = await bucketOf(n.notificationId);
      expect(await bucket.result()).toMatchObject({ sent: 1 });
      // "At once": its bucket fires within the margin and one slice, not at the original time a day later.
      const fireAt = Date.parse(String((await bucket.describe()).memo?.fireAt));
      expect(fireAt - start).toBeLessThanOrEqual(ctx.config.NOTIFY_BUCKET_MARGIN_MS + ctx.config.NOTIFY_BUCKET_MS);
    });
    expect((await row(n.notificationId)).status).toBe('SENT');
  });

  it('quiet hours at the fire time defer it to their end; the bucket of that time sends it', async () => {
    const u = await user({ quietHours: { start: '02:00', end: '06:00' } });
    const now = await ts.env.currentTimeMs();
    const threeAm = Date.parse(`${new Date(now + DAY).toISOString().slice(0, 10)}T03:00:00Z`);
    const n = request(u, threeAm);
    await withWorker(ctx, async () => {
      await schedule(ctx, n);
      const first = await bucketOf(n.notificationId);
      expect(await first.result()).toMatchObject({ deferred: 1, sent: 0 });
      const deferred = await row(n.notificationId);
      // Moved to the end of the quiet hours. Nothing else is pending, so the test server may skip
      // straight to that bucket, which can claim the row (SENDING) before this read.
      expect(['DEFERRED', 'SENDING', 'SENT']).toContain(deferred.status);
      expect((deferred.send_at as Date).toISOString()).toBe(new Date(threeAm + 3 * HOUR).toISOString());
      expect(await (await bucketOf(n.notificationId)).result()).toMatchObject({ sent: 1 });
    });
    expect((await row(n.notificationId)).status).toBe('SENT');
    expect(await delivered(u)).toEqual([n.notificationId]);
  });

  it('continue-as-new keeps what is still due: a bucket of 7 in batches of 2, 2 batches per run', async () => {
    const u = await user();
    const fireAt = Math.ceil(((await ts.env.currentTimeMs()) + HOUR) / ctx.config.NOTIFY_BUCKET_MS) * ctx.config.NOTIFY_BUCKET_MS;
    const items = Array.from({ length: 7 }, () => request(u, fireAt));
    const workflowId = bucketWorkflowId(ctx.config.TIDINGS_ENV, shardOf(items[0]!.notificationId, 1), fireAt);
    const totals = await withWorker(ctx, async () => {
      const handle = await ts.env.client.workflow.start(notificationBucket, {
        taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [{ shard: 0, fireAt, batch: 2, maxBatchesPerRun: 2 }],
      });
      await schedule(ctx, ...items);
      const result = await handle.result();
      const firstRun = await ts.env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
      expect(firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      return result;
    });
    expect(totals).toMatchObject({ sent: 7, batches: 4 });
    expect((await delivered(u)).sort()).toEqual(items.map((i) => i.notificationId).sort());
  }, 120_000);

  it('a delivery that keeps failing is retried in later buckets, then dead-lettered and FAILED', async () => {
    const u = await user();
    const n = request(u, (await ts.env.currentTimeMs()) + HOUR, 'email');
    await withWorker(failing, async () => {
      await schedule(failing, n);
      for (let attempt = 1; attempt < 3; attempt++) {
        expect(await (await bucketOf(n.notificationId)).result()).toMatchObject({ retried: 1 });
        // Rescheduled to a later bucket; nothing else is pending, so the test server may skip straight
        // to it, which can claim the row (SENDING, attempts unchanged until it fails again) first.
        const r = await row(n.notificationId);
        expect(['SCHEDULED', 'SENDING']).toContain(r.status);
        expect(r.attempts).toBe(attempt);
      }
      expect(await (await bucketOf(n.notificationId)).result()).toMatchObject({ failed: 1 });
    });
    const r = await row(n.notificationId);
    expect(r.status).toBe('FAILED');
    expect(r.reason).toMatch(/delivery failed after 3 attempts/);
  });
});
