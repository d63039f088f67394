import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Hono } from 'hono';
import { z } from 'zod';
import { notificationSchema, PreferencesSchema } from '../../domain/notification';
import { rootMessage } from '../../domain/root-cause';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { Context } from '../../platform/context';
import { AppError } from '../../platform/errors';
import { jsonBody, queryParams } from '../../platform/http/validate';
import { getNotification, listNotifications, NOTIFICATION_STATUSES, savePreferences } from '../../stores/notifications';
import { cancelNotificationUpdate, notificationWorkflowId, rescheduleNotificationUpdate } from '../../workflows/notification';
import { cancelNotification, NotPendingError, rescheduleNotification, scheduleNotifications } from '../../services/notification-scheduler';
import type { ApiVariables } from '../middleware/auth';
import { acceptNotification } from './accept';

const ListQuery = z.object({
  userId: z.string().min(1).max(128),
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Notifications per POST /notifications/batch. */
const BATCH_MAX = 1_000;

/** `/notifications`: schedule (one or a batch), read, reschedule, cancel. */
export function notificationRoutes(ctx: Context) {
  const { config } = ctx;
  const schema = () => notificationSchema(Date.now, config.NOTIFY_PAST_TOLERANCE_MS);
  const scheduler = { config, mysql: ctx.mysql(), temporal: ctx.temporal };
  /** The Web UI page that answers "why did / will it fire": its bucket, or its own run (older design). */
  const links = (n: { notificationId: string; bucketWorkflowId?: string | null }) => ({
    statusUrl: `/notifications/${n.notificationId}`,
    temporalUi: workflowUiUrl(config, n.bucketWorkflowId ?? notificationWorkflowId(config.TIDINGS_ENV, n.notificationId)),
  });

  /**
   * Reschedules or cancels: a MySQL conditional update for bucketed notifications; an Update on its
   * own workflow for one scheduled before the buckets. "Not pending" becomes 409.
   */
  async function change(id: string, action: 'cancel' | { sendAt: number }) {
    const found = await getNotification(ctx.mysql(), id);
    if (!found) throw new AppError(404, 'not_found', `no notification ${id}`, { field: 'id' });
    try {
      if (found.bucketWorkflowId !== null) {
        const view = action === 'cancel' ? await cancelNotification(scheduler, id) : await rescheduleNotification(scheduler, id, action.sendAt);
        if (!view) throw new AppError(404, 'not_found', `no notification ${id}`, { field: 'id' });
        return { notificationId: id, status: view.status, sendAt: view.sendAt, reason: view.reason ?? undefined };
      }
      const handle = (await ctx.temporal()).workflow.getHandle(notificationWorkflowId(config.TIDINGS_ENV, id));
      const state = action === 'cancel' ? await handle.executeUpdate(cancelNotificationUpdate) : await handle.executeUpdate(rescheduleNotificationUpdate, { args: [action] });
      return { ...state, sendAt: new Date(state.sendAt).toISOString() };
    } catch (err) {
      if (err instanceof NotPendingError) throw new AppError(409, 'not_pending', err.message, {});
      if (err instanceof WorkflowUpdateFailedError) throw new AppError(409, 'not_pending', rootMessage(err, 'not pending'), {});
      if (err instanceof WorkflowNotFoundError) throw new AppError(409, 'not_pending', 'notification is no longer pending', {});
      throw err;
    }
  }

  return new Hono<{ Variables: ApiVariables }>()
    .post('/', async (c) => {
      const n = await jsonBody(c, schema());
      const { created } = await acceptNotification(ctx, n, 'api');
      const stored = await getNotification(ctx.mysql(), n.notificationId);
      return c.json({ notificationId: n.notificationId, status: stored?.status ?? 'SCHEDULED', duplicate: !created, ...links(stored ?? n) }, 202);
    })
    // Many at once (backends scheduling a campaign): one INSERT and one start per bucket, not per item.
    .post('/batch', async (c) => {
      const { notifications } = await jsonBody(c, z.object({ notifications: z.array(schema()).min(1).max(BATCH_MAX) }));
      const ids = notifications.map((n) => n.notificationId);
      const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
      if (repeated) throw new AppError(422, 'invalid_request', `notificationId ${repeated} appears twice in the batch`, { field: 'notifications' });
      const results = await scheduleNotifications(scheduler, notifications, 'api');
      return c.json({ notifications: results.map((r) => ({ notificationId: r.notificationId, duplicate: !r.created, statusUrl: `/notifications/${r.notificationId}` })) }, 202);
    })
    .get('/', async (c) => c.json({ notifications: await listNotifications(ctx.mysql(), queryParams(c, ListQuery)) }))
    .get('/:id', async (c) => {
      const n = await getNotification(ctx.mysql(), c.req.param('id'));
      if (!n) throw new AppError(404, 'not_found', `no notification ${c.req.param('id')}`, { field: 'id' });
      return c.json({ ...n, ...links(n) });
    })
    .patch('/:id', async (c) => {
      const { sendAt } = await jsonBody(c, z.object({ sendAt: schema().shape.sendAt }));
      return c.json(await change(c.req.param('id'), { sendAt: Date.parse(sendAt) }));
    })
    .delete('/:id', async (c) => c.json(await change(c.req.param('id'), 'cancel')));
}

/** `/users/:id/notification-preferences`. */
export function userRoutes(ctx: Context) {
  return new Hono<{ Variables: ApiVariables }>().put('/:id/notification-preferences', async (c) => {
    const userId = c.req.param('id');
    if (!/^[\x21-\x7e]{1,128}$/.test(userId)) throw new AppError(400, 'invalid_request', 'bad user id', { field: 'id' });
    const prefs = await jsonBody(c, PreferencesSchema);
    await savePreferences(ctx.mysql(), userId, prefs);
    return c.json({ userId, ...prefs });
  });
}
