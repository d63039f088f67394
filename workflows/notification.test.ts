import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { NotificationActivities } from '../activities/notifications';
import type { Eligibility, NotificationRequest } from '../domain/notification';
import { useTimeSkipping } from '../test/support/temporal';
import { cancelNotificationUpdate, notification, notificationStateQuery, notificationWorkflowId, rescheduleNotificationUpdate } from './notification';

// Time-skipping: the notification's timing and control with stub activities that record what and
// when; test/notifications.e2e.test.ts runs the real ones against the real servers.
const DAY = 86_400_000;

describe('notification workflow (time-skipping test server)', () => {
  const ts = useTimeSkipping();
  let n = 0;

  function stubs(opts: { eligibility?: (at: number, call: number) => Eligibility; failDelivery?: boolean } = {}) {
    const log = { statuses: [] as string[], deliveredAt: [] as number[], attempts: 0, deadLetters: [] as string[] };
    let calls = 0;
    const activities: NotificationActivities = {
      async checkEligibility(_u, _c, at) {
        return opts.eligibility?.(at, calls++) ?? { eligible: true, deferUntil: null };
      },
      async recordNotificationStatus(_id, status) {
        log.statuses.push(status);
      },
      async deliverNotification() {
        log.attempts++;
        if (opts.failDelivery) throw new Error('smtp refused');
        log.deliveredAt.push(await ts.env.currentTimeMs());
        return 'ok';
      },
      async deadLetterNotification(_n, reason) {
        log.deadLetters.push(reason);
      },
    };
    return { activities, log };
  }

  async function run(
    s: ReturnType<typeof stubs>,
    sendAt: number,
    body: (h: Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>) => Promise<void>,
  ) {
    const taskQueue = `notify-ts-${++n}`;
    const req: NotificationRequest = { notificationId: `n${n}`, userId: 'u1', channel: 'web', sendAt: new Date(sendAt).toISOString(), title: 't', body: 'b' };
    const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.bundle, activities: s.activities });
    await worker.runUntil(async () => {
      const h = await ts.env.client.workflow.start(notification, {
        taskQueue,
        workflowId: notificationWorkflowId('ts', req.notificationId),
        args: [{ notification: req, maxAttempts: 3 }],
      });
      await body(h);
    });
  }

  it('delivers at sendAt three days ahead, and not a moment before', async () => {
    const s = stubs();
    const sendAt = (await ts.env.currentTimeMs()) + 3 * DAY;
    await run(s, sendAt, async (h) => {
      await ts.env.sleep(3 * DAY - 60_000);
      expect(s.log.deliveredAt).toEqual([]);
      expect((await h.query(notificationStateQuery)).status).toBe('SCHEDULED');
      expect(await h.result()).toMatchObject({ status: 'SENT' });
    });
    expect(s.log.deliveredAt).toHaveLength(1);
    expect(s.log.deliveredAt[0]!).toBeGreaterThanOrEqual(sendAt);
    expect(s.log.statuses).toEqual(['SENT']);
  });

  it('cancel while pending: CANCELLED, never delivered; cancel afterwards is refused', async () => {
    const s = stubs();
    await run(s, (await ts.env.currentTimeMs()) + DAY, async (h) => {
      await ts.env.sleep(60_000);
      expect(await h.executeUpdate(cancelNotificationUpdate)).toMatchObject({ status: 'CANCELLED' });
      // Refused by the validator, or (once the run has closed) not found: the API answers 409 to both.
      const refused = await h.executeUpdate(cancelNotificationUpdate).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused instanceof WorkflowUpdateFailedError || refused instanceof WorkflowNotFoundError).toBe(true);
    });
    expect(s.log.attempts).toBe(0);
    expect(s.log.statuses).toEqual(['CANCELLED']);
  });

  it('reschedules earlier and later: delivered at the last time asked for', async () => {
    for (const shift of [-DAY, +DAY]) {
      const s = stubs();
      const start = await ts.env.currentTimeMs();
      const target = start + 2 * DAY + shift;
      await run(s, start + 2 * DAY, async (h) => {
        await ts.env.sleep(60_000);
        await h.executeUpdate(rescheduleNotificationUpdate, { args: [{ sendAt: target }] });
        await h.result();
      });
      expect(s.log.deliveredAt[0]!).toBeGreaterThanOrEqual(target);
      expect(s.log.deliveredAt[0]!).toBeLessThan(target + 60_000);
    }
  });

  it('ineligible: SKIPPED with the reason, nothing delivered', async () => {
    const s = stubs({ eligibility: () => ({ eligible: false, reason: 'not opted in to web' }) });
    await run(s, (await ts.env.currentTimeMs()) + DAY, async (h) => {
      expect(await h.result()).toMatchObject({ status: 'SKIPPED', reason: 'not opted in to web' });
    });
    expect(s.log.attempts).toBe(0);
  });

  it('quiet hours at send time: DEFERRED to their end, then SENT', async () => {
    let quietEnd = 0;
    const s = stubs({
      eligibility: (at, call) => {
        if (call === 1) quietEnd = at + 8 * 3600_000; // at send time the user is in quiet hours for 8 h
        return call === 1 ? { eligible: true, deferUntil: quietEnd } : { eligible: true, deferUntil: null };
      },
    });
    await run(s, (await ts.env.currentTimeMs()) + DAY, async (h) => {
      expect(await h.result()).toMatchObject({ status: 'SENT' });
    });
    expect(s.log.statuses).toEqual(['DEFERRED', 'SENT']);
    expect(s.log.deliveredAt[0]!).toBeGreaterThanOrEqual(quietEnd);
  });

  it('a failing channel is retried, then dead-lettered with the reason: FAILED', async () => {
    const s = stubs({ failDelivery: true });
    await run(s, (await ts.env.currentTimeMs()) + 1000, async (h) => {
      expect(await h.result()).toMatchObject({ status: 'FAILED' });
    });
    expect(s.log.attempts).toBe(3);
    expect(s.log.deadLetters).toHaveLength(1);
    expect(s.log.deadLetters[0]).toMatch(/after 3 attempts: smtp refused/);
    expect(s.log.statuses).toEqual(['FAILED']);
  });
});
