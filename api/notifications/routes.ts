import { Hono } from 'hono';
import type { RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import { notificationSchema, PreferencesSchema } from '../../domain/notification';
import { actsFor, SCOPES, type Principal } from '../../platform/auth/jwt';
import { workflowUiUrl } from '../../platform/clients/temporal';
import { AppError } from '../../platform/errors';
import { jsonBody, queryParams } from '../../platform/http/validate';
import {
  getNotification,
  listNotifications,
  loadPreferences,
  NOTIFICATION_STATUSES,
  savePreferences,
  type NotificationCursor,
} from '../../stores/notifications';
import {
  cancelNotification,
  NotPendingError,
  rescheduleNotification,
  scheduleNotifications,
  SchedulerUnavailableError,
} from '../../services/notification-scheduler';
import type { ApiVariables } from '../middleware/auth';
import { acceptNotification, type NotificationDeps } from './accept';

export const ListQuery = z.object({
  /** Default: the caller. Another user's needs the service scope. */
  userId: z.string().min(1).max(128).optional(),
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The previous page's `nextCursor` ("<send time ms>.<id>"): every string of that shape is a place in the list, as the document says. */
  cursor: z
    .string()
    .regex(/^\d{1,14}\.[A-Za-z0-9_-]{1,64}$/, 'is not a cursor this list handed out: use nextCursor from the previous page')
    .transform((s): NotificationCursor => ({ sendAt: Number(s.slice(0, s.indexOf('.'))), notificationId: s.slice(s.indexOf('.') + 1) }))
    .optional(),
});

/** A list cursor as the API hands it out. */
const encodeCursor = (c: NotificationCursor): string => `${c.sendAt}.${c.notificationId}`;

/** Notifications per POST /notifications/batch. */
export const BATCH_MAX = 1_000;

/** `/notifications`: schedule (one or a batch), read, reschedule, cancel. */
export function notificationRoutes(ctx: NotificationDeps) {
  const { config } = ctx;
  const schema = () => notificationSchema(Date.now);
  const scheduler = { config, mysql: ctx.mysql(), temporal: ctx.temporal };
  /**
   * The Web UI page that answers "why did / will it fire": its bucket (none for a notification
   * skipped when it was scheduled, which no bucket holds).
   */
  const links = (n: { notificationId: string; bucketWorkflowId?: string | null }) => ({
    statusUrl: `/notifications/${n.notificationId}`,
    ...(n.bucketWorkflowId ? { temporalUi: workflowUiUrl(config, n.bucketWorkflowId) } : {}),
  });

  /** Reschedules or cancels: a MySQL conditional update on the row. "Not pending" becomes 409. */
  async function change(principal: Principal, id: string, action: 'cancel' | { sendAt: number }) {
    await ownNotification(principal, id);
    try {
      const view = action === 'cancel' ? await cancelNotification(scheduler, id) : await rescheduleNotification(scheduler, id, action.sendAt);
      if (!view) throw new AppError(404, 'not_found', `no notification ${id}`, { field: 'id' });
      return { notificationId: id, status: view.status, sendAt: view.sendAt, reason: view.reason ?? undefined };
    } catch (err) {
      if (err instanceof NotPendingError) throw new AppError(409, 'not_pending', err.message, {});
      throw err;
    }
  }

  /** Temporal unreachable while setting the timer: 503, and the retry is safe (same ids). */
  const unavailable = (err: unknown): never => {
    if (err instanceof SchedulerUnavailableError) throw new AppError(503, 'temporal_unavailable', err.message, { dependency: 'temporal' }, { cause: err });
    throw err;
  };
  /** The notification if the caller may see it; another user's is "not found" (ids cannot be probed). */
  async function ownNotification(principal: Principal, id: string) {
    const n = await getNotification(ctx.mysql(), id);
    if (!n || !actsFor(principal, n.userId, SCOPES.scheduleAnyNotification)) throw new AppError(404, 'not_found', `no notification ${id}`, { field: 'id' });
    return n;
  }
  /** Scheduling for someone else is a service's act: a user token schedules for its own subject only. */
  function mayScheduleFor(principal: Principal, userId: string, field: string): void {
    if (!actsFor(principal, userId, SCOPES.scheduleAnyNotification)) {
      throw new AppError(
        403,
        'forbidden',
        `a user token schedules notifications for its own user only; scheduling for ${userId} needs a service token with scope ${SCOPES.scheduleAnyNotification}`,
        { field },
      );
    }
  }

  return (
    new Hono<{ Variables: ApiVariables }>()
      .post('/', async (c) => {
        const n = await jsonBody(c, schema());
        const principal = c.get('principal');
        mayScheduleFor(principal, n.userId, 'userId');
        const taken = await getNotification(ctx.mysql(), n.notificationId);
        // An id already used by someone this caller may not see: say so, and no more.
        if (taken && !actsFor(principal, taken.userId, SCOPES.scheduleAnyNotification))
          throw new AppError(409, 'id_taken', 'notificationId is already in use; choose another', { field: 'notificationId' });
        const { created } = await acceptNotification(ctx, n, 'api').catch(unavailable);
        const stored = await getNotification(ctx.mysql(), n.notificationId);
        // Checked again after the insert: a concurrent request may have taken the id between the
        // check above and here, and its row (status, bucket) must not be shown to this caller.
        if (stored && !actsFor(principal, stored.userId, SCOPES.scheduleAnyNotification))
          throw new AppError(409, 'id_taken', 'notificationId is already in use; choose another', { field: 'notificationId' });
        return c.json({ notificationId: n.notificationId, status: stored?.status ?? 'SCHEDULED', duplicate: !created, ...links(stored ?? n) }, 202);
      })
      // Many at once (backends scheduling a campaign): one INSERT and one start per bucket, not per item.
      .post('/batch', async (c) => {
        const { notifications } = await jsonBody(c, z.object({ notifications: z.array(schema()).min(1).max(BATCH_MAX) }));
        const ids = notifications.map((n) => n.notificationId);
        // An id repeated in the batch is what sending the items one by one would make of it: the
        // first schedules it, a later one is a duplicate of it (records and changes nothing).
        const firstIndex = new Map<string, number>();
        ids.forEach((id, i) => firstIndex.has(id) || firstIndex.set(id, i));
        const principal = c.get('principal');
        notifications.forEach((n, i) => mayScheduleFor(principal, n.userId, `notifications.${i}.userId`));
        const [taken] = await ctx.mysql().query<RowDataPacket[]>('SELECT notification_id, user_id FROM notifications WHERE notification_id IN (?)', [ids]);
        const foreign = taken.find((t) => !actsFor(principal, String(t.user_id), SCOPES.scheduleAnyNotification));
        if (foreign)
          throw new AppError(409, 'id_taken', `notificationId ${String(foreign.notification_id)} is already in use; choose another`, {
            field: 'notifications',
          });
        const unique = [...firstIndex.values()].map((i) => notifications[i]!);
        const results = await scheduleNotifications(scheduler, unique, 'api').catch(unavailable);
        const created = new Set(results.filter((r) => r.created).map((r) => r.notificationId));
        return c.json(
          {
            notifications: ids.map((id, i) => ({
              notificationId: id,
              duplicate: !(created.has(id) && firstIndex.get(id) === i),
              statusUrl: `/notifications/${id}`,
            })),
          },
          202,
        );
      })
      .get('/', async (c) => {
        const q = queryParams(c, ListQuery);
        const principal = c.get('principal');
        const userId = q.userId ?? principal.userId;
        if (!actsFor(principal, userId, SCOPES.scheduleAnyNotification))
          throw new AppError(403, 'forbidden', "a user token lists its own user's notifications only", { field: 'userId' });
        const { cursor, ...rest } = q;
        const page = await listNotifications(ctx.mysql(), { ...rest, userId, ...(cursor ? { after: cursor } : {}) });
        return c.json({ notifications: page.notifications, nextCursor: page.nextCursor && encodeCursor(page.nextCursor) });
      })
      .get('/:id', async (c) => {
        const n = await ownNotification(c.get('principal'), c.req.param('id'));
        return c.json({ ...n, ...links(n) });
      })
      .patch('/:id', async (c) => {
        const principal = c.get('principal');
        await ownNotification(principal, c.req.param('id'));
        const { sendAt } = await jsonBody(c, z.object({ sendAt: schema().shape.sendAt }));
        return c.json(await change(principal, c.req.param('id'), { sendAt: Date.parse(sendAt) }));
      })
      .delete('/:id', async (c) => c.json(await change(c.get('principal'), c.req.param('id'), 'cancel')))
  );
}

/** The user id in `/users/:id/…`: 1–128 visible ASCII characters (the OpenAPI document says so too). */
export const UserIdParam = z.string().regex(/^[\x21-\x7e]{1,128}$/);

/** `/users/:id/notification-preferences`: read and replace; a user's own (or a service's, with the scope). */
export function userRoutes(ctx: Pick<NotificationDeps, 'mysql'>) {
  const subject = (c: { req: { param(k: string): string }; get(k: 'principal'): Principal }) => {
    const userId = c.req.param('id');
    if (!UserIdParam.safeParse(userId).success) throw new AppError(400, 'invalid_request', 'id must be 1-128 visible ASCII characters', { field: 'id' });
    if (!actsFor(c.get('principal'), userId, SCOPES.scheduleAnyNotification)) throw new AppError(404, 'not_found', `no user ${userId}`, { field: 'id' });
    return userId;
  };
  return new Hono<{ Variables: ApiVariables }>()
    .get('/:id/notification-preferences', async (c) => {
      const userId = subject(c);
      const prefs = await loadPreferences(ctx.mysql(), userId);
      if (!prefs) throw new AppError(404, 'not_found', `no preferences for ${userId} yet`, { field: 'id' });
      return c.json({ userId, ...prefs, mutedUntil: prefs.mutedUntil === null ? null : new Date(prefs.mutedUntil).toISOString() });
    })
    .put('/:id/notification-preferences', async (c) => {
      const userId = subject(c);
      const prefs = await jsonBody(c, PreferencesSchema);
      await savePreferences(ctx.mysql(), userId, prefs);
      return c.json({ userId, ...prefs });
    });
}
