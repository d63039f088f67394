import { spawn, type ChildProcess } from 'node:child_process';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../api/app';
import { readHistory } from '../gateway/history';
import { SCOPES, signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { savePreferences } from '../stores/notifications';
import { eventually, ROOT, testContext, testEnv, uniqueId } from './support/context';
import { userChannel } from '../contracts/channels';

// Notification timers on the real dev server, MariaDB and Redis, with the worker as a separate
// process that can be killed -9: a batch scheduled over HTTP is fired by a handful of bucket
// workflows, and a worker killed in the middle of firing them loses nothing and repeats nothing.
describe('notification timers across the real servers', () => {
  let ctx: Context;
  let app: ReturnType<typeof createApiApp>;
  let token: string;
  const workers: ChildProcess[] = [];

  const startWorkerProcess = (): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TIDINGS_ENV: testEnv(),
        TIDINGS_ROLES: 'worker',
        TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE,
        NOTIFY_BATCH: ctx.config.NOTIFY_BATCH.toString(),
        SELF_CHECK_ON_START: 'false',
        LEDGER_RELAY_ON_START: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  };
  const stop = (child: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  const schedule = (notifications: unknown[]) =>
    app.request('/notifications/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ notifications }),
    });
  const countSent = async (prefix: string) => {
    const [rows] = await ctx
      .mysql()
      .query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM notifications WHERE notification_id LIKE ? AND status = 'SENT'", [`${prefix}%`]);
    return Number(rows[0]!.n);
  };
  /** Every notification event on the users' channels (a repeat would show twice). */
  const deliveredTo = async (users: string[]) => {
    const ids: string[] = [];
    for (const u of users) {
      for (const e of (await readHistory(ctx.redis(), userChannel(u), '0-0')).events)
        if (e.event === 'notification') ids.push((e.data as { notificationId: string }).notificationId);
    }
    return ids;
  };
  const users = async (n: number) => {
    const ids = Array.from({ length: n }, () => uniqueId('timer-user'));
    for (const u of ids) await savePreferences(ctx.mysql(), u, { timezone: 'UTC', channels: ['web'], quietHours: null, mutedUntil: null });
    return ids;
  };
  const batch = (prefix: string, recipients: string[], count: number, sendAt: number) =>
    Array.from({ length: count }, (_, i) => ({
      notificationId: `${prefix}${i}`,
      userId: recipients[i % recipients.length]!,
      channel: 'web',
      sendAt: new Date(sendAt).toISOString(),
      title: 't',
      body: `#${i}`,
    }));

  beforeAll(async () => {
    ctx = testContext({ NOTIFY_BATCH: '10', GATEWAY_STREAM_MAXLEN: '5000' });
    token = await signToken(ctx.config, 'timer-scheduler', { claims: { scope: SCOPES.scheduleAnyNotification } });
    app = createApiApp(ctx);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stop(w, 'SIGKILL')));
    await ctx?.lifecycle.close();
  });

  it('a batch of 200 due together is fired by a few bucket workflows, not 200', async () => {
    const recipients = await users(4);
    const prefix = `${uniqueId('b')}-`;
    const sendAt = Date.now() + 3_000;
    const res = await schedule(batch(prefix, recipients, 200, sendAt));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { notifications: { notificationId: string; duplicate: boolean }[] };
    expect(body.notifications).toHaveLength(200);
    expect(body.notifications.every((n) => !n.duplicate)).toBe(true);
    // The same batch again: nothing new, every item a duplicate.
    const again = (await (await schedule(batch(prefix, recipients, 200, sendAt))).json()) as typeof body;
    expect(again.notifications.every((n) => n.duplicate)).toBe(true);

    const worker = startWorkerProcess();
    try {
      await eventually(async () => (await countSent(prefix)) === 200, 30_000, 200);
      const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT DISTINCT fired_by FROM notifications WHERE notification_id LIKE ?', [`${prefix}%`]);
      // One bucket per shard (two shards) for one due time; a margin-late commit may add one, and a
      // bucket of another suite firing at that moment may take a few (it claims whatever is due).
      expect(rows.length).toBeLessThanOrEqual(ctx.config.NOTIFY_SHARDS * 2 + 2);
      const client = await ctx.temporal();
      // The buckets' histories list what they fired (local activity markers carry each batch's
      // result): that is how the Web UI answers "why did notification X fire".
      let markers = '';
      for (const r of rows) {
        const handle = client.workflow.getHandle(String(r.fired_by));
        // A batch's rows are SENT in MySQL before the workflow task that ran it completes and its
        // marker is written: read the history once the bucket has finished.
        await handle.result();
        const history = await handle.fetchHistory();
        for (const e of history.events ?? []) {
          const details = e.markerRecordedEventAttributes?.details ?? {};
          for (const p of Object.values(details).flatMap((d) => d.payloads ?? [])) markers += Buffer.from(p.data ?? []).toString();
        }
      }
      expect(markers).toContain('fireDueNotifications');
      for (let i = 0; i < 200; i++) expect(markers).toContain(`"${prefix}${i}"`);
      expect((await deliveredTo(recipients)).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `${prefix}${i}`).sort());
    } finally {
      await stop(worker, 'SIGTERM');
    }
  }, 60_000);

  it('Temporal unreachable: 503 with the notification recorded; the retry with the same id sets its timer', async () => {
    const down = testContext({ TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE });
    try {
      const [recipient] = await users(1);
      const n = batch(`${uniqueId('d')}-`, [recipient!], 1, Date.now() + 60_000)[0]!;
      const post = (a: ReturnType<typeof createApiApp>) =>
        a.request('/notifications', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(n),
        });
      const refused = await post(createApiApp(down));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe(String(down.config.UNAVAILABLE_RETRY_AFTER_SECONDS));
      expect(await refused.json()).toMatchObject({ error: { code: 'temporal_unavailable', dependency: 'temporal' } });
      const retried = await post(app);
      expect(retried.status).toBe(202);
      const body = (await retried.json()) as { duplicate: boolean; temporalUi: string };
      expect(body.duplicate).toBe(true);
      const [rows] = await ctx.mysql().query<RowDataPacket[]>('SELECT bucket_id FROM notifications WHERE notification_id = ?', [n.notificationId]);
      const described = await (await ctx.temporal()).workflow.getHandle(String(rows[0]!.bucket_id)).describe();
      expect(described.status.name).toBe('RUNNING');
    } finally {
      await down.lifecycle.close();
    }
  }, 60_000);

  it('a worker killed -9 in the middle of firing: every notification is delivered exactly once', async () => {
    const recipients = await users(5);
    const prefix = `${uniqueId('k')}-`;
    const total = 1_000;
    expect((await schedule(batch(prefix, recipients, total / 2, Date.now() + 3_000))).status).toBe(202);
    expect((await schedule(batch(`${prefix}x`, recipients, total / 2, Date.now() + 3_000))).status).toBe(202);
    const all = [...batch(prefix, recipients, total / 2, 0), ...batch(`${prefix}x`, recipients, total / 2, 0)].map((n) => n.notificationId);

    const first = startWorkerProcess();
    await eventually(async () => (await countSent(prefix)) > 0, 30_000, 10);
    await stop(first, 'SIGKILL');
    const sentAtKill = await countSent(prefix);
    expect(sentAtKill).toBeGreaterThan(0);
    expect(sentAtKill).toBeLessThan(total);

    const second = startWorkerProcess();
    try {
      await eventually(async () => (await countSent(prefix)) === total, 90_000, 250);
    } finally {
      await stop(second, 'SIGTERM');
    }
    const delivered = await deliveredTo(recipients);
    expect(delivered.length).toBe(total);
    expect(new Set(delivered).size).toBe(total);
    expect([...delivered].sort()).toEqual([...all].sort());
  }, 150_000);
});
