import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { notificationSchema, PreferencesSchema } from '../../domain/notification';
import { actsFor, SCOPES, type Principal } from '../../platform/auth/jwt';
import { workflowUiUrl } from '../../platform/clients/temporal';
import { AppError } from '../../platform/errors';
import {
  getNotification,
  listNotifications,
  loadPreferences,
  NOTIFICATION_STATUSES,
  ownersOf,
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
import { documentedRoutes, errors, idLink, idParam, jsonBody, success } from '../openapi/define';
import { acceptNotification, type NotificationDeps } from './accept';

export const ListQuery = z.object({
  /** Default: the caller. Another user's needs the service scope. */
  userId: z.string().min(1).max(128).optional(),
  status: z.enum(NOTIFICATION_STATUSES).optional().meta({ example: 'SCHEDULED' }),
  limit: z.coerce.number().int().min(1).max(200).default(50).meta({ example: 50 }),
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

/**
 * What POST /notifications takes (the Kafka source takes the same). Built once per process: the
 * latest year a sendAt may name is next year as of the start (a pattern the document states too).
 */
const Notification = notificationSchema(Date.now);
const NotificationBatch = z.object({ notifications: z.array(Notification).min(1).max(BATCH_MAX) });
const Reschedule = z.object({ sendAt: Notification.shape.sendAt });

const sendAt = new Date(Date.now() + 86_400_000).toISOString();
const example = { notificationId: 'welcome-42', userId: 'alice', channel: 'web', sendAt, title: 'Welcome', body: 'Glad you are here' } as const;
const tags = ['notifications'];
const links = {
  GetNotification: idLink('get /notifications/:id', 'the notification', '/notificationId'),
  RescheduleNotification: idLink('patch /notifications/:id', 'reschedule it', '/notificationId'),
  CancelNotification: idLink('delete /notifications/:id', 'cancel it', '/notificationId'),
};
const schedule = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Schedule a notification (for the caller, or anyone with the service scope)',
  request: { body: jsonBody(Notification, example) },
  responses: {
    202: success('scheduled (`duplicate: true` when the same notificationId was already scheduled)', { links }),
    ...errors(400, 403, 409, 422, 503),
  },
});
const scheduleBatch = createRoute({
  method: 'post',
  path: '/batch',
  tags,
  summary: `Schedule up to ${BATCH_MAX} notifications at once`,
  request: { body: jsonBody(NotificationBatch, { notifications: [{ ...example, notificationId: 'welcome-43' }] }) },
  responses: {
    202: success('scheduled: each notificationId with `duplicate` (a repeated id is a duplicate of its first)', {
      links: { GetFirstNotification: idLink('get /notifications/:id', 'the first notification', '/notifications/0/notificationId') },
    }),
    ...errors(400, 403, 409, 422, 503),
  },
});
const list = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: "The caller's notifications (another user's with the service scope)",
  request: { query: ListQuery },
  responses: {
    200: success('notifications, latest send time first, and nextCursor (pass it as cursor for the next page; null on the last)', {
      links: { GetFirstNotification: idLink('get /notifications/:id', 'the first notification listed', '/notifications/0/notificationId') },
    }),
    ...errors(400, 403),
  },
});
const notificationId = idParam('welcome-42');
const get = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'A notification',
  request: { params: notificationId },
  responses: { 200: success('the notification'), ...errors(404) },
});
const reschedule = createRoute({
  method: 'patch',
  path: '/{id}',
  tags,
  summary: 'Reschedule a pending notification',
  request: { params: notificationId, body: jsonBody(Reschedule, { sendAt }) },
  responses: { 200: success('the notification after the change'), ...errors(400, 404, 409, 422, 503) },
});
const cancel = createRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  summary: 'Cancel a pending notification',
  request: { params: notificationId },
  responses: { 200: success('the notification after the change'), ...errors(404, 409, 503) },
});

/** `/notifications`: schedule (one or a batch), read, reschedule, cancel. */
export function notificationRoutes(ctx: NotificationDeps) {
  const { config } = ctx;
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

  const app = documentedRoutes();
  app.openapi(schedule, async (c) => {
    const n = c.req.valid('json');
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
  });
  // Many at once (backends scheduling a campaign): one INSERT and one start per bucket, not per item.
  app.openapi(scheduleBatch, async (c) => {
    const { notifications } = c.req.valid('json');
    const ids = notifications.map((n) => n.notificationId);
    // An id repeated in the batch is what sending the items one by one would make of it: the
    // first schedules it, a later one is a duplicate of it (records and changes nothing).
    const firstIndex = new Map<string, number>();
    ids.forEach((id, i) => firstIndex.has(id) || firstIndex.set(id, i));
    const principal = c.get('principal');
    notifications.forEach((n, i) => mayScheduleFor(principal, n.userId, `notifications.${i}.userId`));
    const taken = await ownersOf(ctx.mysql(), ids);
    const foreign = taken.find((t) => !actsFor(principal, t.userId, SCOPES.scheduleAnyNotification));
    if (foreign)
      throw new AppError(409, 'id_taken', `notificationId ${foreign.notificationId} is already in use; choose another`, {
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
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const principal = c.get('principal');
    const userId = q.userId ?? principal.userId;
    if (!actsFor(principal, userId, SCOPES.scheduleAnyNotification))
      throw new AppError(403, 'forbidden', "a user token lists its own user's notifications only", { field: 'userId' });
    const { cursor, ...rest } = q;
    const page = await listNotifications(ctx.mysql(), { ...rest, userId, ...(cursor ? { after: cursor } : {}) });
    return c.json({ notifications: page.notifications, nextCursor: page.nextCursor && encodeCursor(page.nextCursor) }, 200);
  });
  app.openapi(get, async (c) => {
    const n = await ownNotification(c.get('principal'), c.req.valid('param').id);
    return c.json({ ...n, ...links(n) }, 200);
  });
  app.openapi(reschedule, async (c) => {
    const { id } = c.req.valid('param');
    const { sendAt } = c.req.valid('json');
    return c.json(await change(c.get('principal'), id, { sendAt: Date.parse(sendAt) }), 200);
  });
  app.openapi(cancel, async (c) => c.json(await change(c.get('principal'), c.req.valid('param').id, 'cancel'), 200));
  return app;
}

/** The user id in `/users/:id/…`: 1–128 visible ASCII characters (the OpenAPI document says so too). */
export const UserIdParam = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 visible ASCII characters');

const userId = idParam('alice', UserIdParam);
const preferences = createRoute({
  method: 'get',
  path: '/{id}/notification-preferences',
  tags,
  summary: "A user's notification preferences (one's own, or anyone's with the service scope)",
  request: { params: userId },
  responses: { 200: success('the preferences'), ...errors(400, 404) },
});
const setPreferences = createRoute({
  method: 'put',
  path: '/{id}/notification-preferences',
  tags,
  summary: "Replace a user's notification preferences",
  request: {
    params: userId,
    body: jsonBody(PreferencesSchema, {
      timezone: 'America/Sao_Paulo',
      channels: ['web', 'email'],
      quietHours: { start: '22:00', end: '07:00' },
      mutedUntil: null,
    }),
  },
  responses: {
    200: success('the preferences', { links: { GetPreferences: idLink('get /users/:id/notification-preferences', 'read them back', '/userId') } }),
    ...errors(400, 404, 422),
  },
});

/** `/users/:id/notification-preferences`: read and replace; a user's own (or a service's, with the scope). */
export function userRoutes(ctx: Pick<NotificationDeps, 'mysql'>) {
  /** The user of the path, if the caller may act for them: another user's is "not found". */
  const subject = (principal: Principal, userId: string) => {
    if (!actsFor(principal, userId, SCOPES.scheduleAnyNotification)) throw new AppError(404, 'not_found', `no user ${userId}`, { field: 'id' });
    return userId;
  };
  const app = documentedRoutes();
  app.openapi(preferences, async (c) => {
    const userId = subject(c.get('principal'), c.req.valid('param').id);
    const prefs = await loadPreferences(ctx.mysql(), userId);
    if (!prefs) throw new AppError(404, 'not_found', `no preferences for ${userId} yet`, { field: 'id' });
    return c.json({ userId, ...prefs, mutedUntil: prefs.mutedUntil === null ? null : new Date(prefs.mutedUntil).toISOString() }, 200);
  });
  app.openapi(setPreferences, async (c) => {
    const userId = subject(c.get('principal'), c.req.valid('param').id);
    const prefs = c.req.valid('json');
    await savePreferences(ctx.mysql(), userId, prefs);
    return c.json({ userId, ...prefs }, 200);
  });
  return app;
}
