import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Hono } from 'hono';
import { z } from 'zod';
import { notificationSchema, PreferencesSchema } from '../../domain/notification';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { Context } from '../../platform/context';
import { AppError } from '../../platform/errors';
import { jsonBody, queryParams } from '../../platform/http/validate';
import { getNotification, listNotifications, NOTIFICATION_STATUSES, savePreferences } from '../../stores/notifications';
import { cancelNotificationUpdate, notificationWorkflowId, rescheduleNotificationUpdate } from '../../workflows/notification';
import type { ApiVariables } from '../middleware/auth';
import { acceptNotification } from './accept';

const ListQuery = z.object({
  userId: z.string().min(1).max(128),
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `/notifications`: schedule, read, reschedule, cancel. */
export function notificationRoutes(ctx: Context) {
  const { config } = ctx;
  const schema = () => notificationSchema(Date.now, config.NOTIFY_PAST_TOLERANCE_MS);
  const links = (id: string) => ({ statusUrl: `/notifications/${id}`, temporalUi: workflowUiUrl(config, notificationWorkflowId(config.TIDINGS_ENV, id)) });

  /** Runs an update on the notification's workflow; "not pending" becomes 409. */
  async function update<T>(id: string, run: (handle: ReturnType<Awaited<ReturnType<Context['temporal']>>['workflow']['getHandle']>) => Promise<T>): Promise<T> {
    if (!(await getNotification(ctx.mysql(), id))) throw new AppError(404, 'not_found', `no notification ${id}`, { field: 'id' });
    try {
      return await run((await ctx.temporal()).workflow.getHandle(notificationWorkflowId(config.TIDINGS_ENV, id)));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new AppError(409, 'not_pending', err.cause instanceof Error ? err.cause.message : 'not pending', {});
      if (err instanceof WorkflowNotFoundError) throw new AppError(409, 'not_pending', 'notification is no longer pending', {});
      throw err;
    }
  }

  return new Hono<{ Variables: ApiVariables }>()
    .post('/', async (c) => {
      const n = await jsonBody(c, schema());
      const { created } = await acceptNotification(ctx, n, 'api');
      const stored = await getNotification(ctx.mysql(), n.notificationId);
      return c.json({ notificationId: n.notificationId, status: stored?.status ?? 'SCHEDULED', duplicate: !created, ...links(n.notificationId) }, 202);
    })
    .get('/', async (c) => c.json({ notifications: await listNotifications(ctx.mysql(), queryParams(c, ListQuery)) }))
    .get('/:id', async (c) => {
      const n = await getNotification(ctx.mysql(), c.req.param('id'));
      if (!n) throw new AppError(404, 'not_found', `no notification ${c.req.param('id')}`, { field: 'id' });
      return c.json({ ...n, ...links(n.notificationId) });
    })
    .patch('/:id', async (c) => {
      const { sendAt } = await jsonBody(c, z.object({ sendAt: schema().shape.sendAt }));
      const state = await update(c.req.param('id'), (h) => h.executeUpdate(rescheduleNotificationUpdate, { args: [{ sendAt: Date.parse(sendAt) }] }));
      return c.json({ ...state, sendAt: new Date(state.sendAt).toISOString() });
    })
    .delete('/:id', async (c) => {
      const state = await update(c.req.param('id'), (h) => h.executeUpdate(cancelNotificationUpdate));
      return c.json({ ...state, sendAt: new Date(state.sendAt).toISOString() });
    });
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
