import type { NotificationRequest } from '../../domain/notification';
import { startOnce } from '../../platform/clients/temporal';
import type { Context } from '../../platform/context';
import { insertNotification } from '../../stores/notifications';
import { notification, notificationWorkflowId } from '../../workflows/notification';

/**
 * Both sources (HTTP and Kafka) end here: the row is recorded, then the workflow started. The id
 * makes it idempotent: a repeat records nothing and joins the run that exists.
 */
export async function acceptNotification(ctx: Context, n: NotificationRequest, source: 'api' | 'kafka'): Promise<{ created: boolean }> {
  const created = await insertNotification(ctx.mysql(), n, source);
  await startOnce(await ctx.temporal(), notification, {
    taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
    workflowId: notificationWorkflowId(ctx.config.TIDINGS_ENV, n.notificationId),
    args: [{ notification: n, maxAttempts: ctx.config.NOTIFY_MAX_ATTEMPTS }],
  });
  return { created };
}
