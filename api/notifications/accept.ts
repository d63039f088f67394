import type { NotificationRequest } from '../../domain/notification';
import type { Context } from '../../runtime/context';
import { scheduleNotifications } from '../../services/notification-scheduler';

/**
 * Both sources (HTTP and Kafka) end here: the row is recorded and its time bucket ensured. The id
 * makes it idempotent: a repeat records nothing and changes nothing.
 */
export async function acceptNotification(ctx: Context, n: NotificationRequest, source: 'api' | 'kafka'): Promise<{ created: boolean }> {
  const [result] = await scheduleNotifications({ config: ctx.config, mysql: ctx.mysql(), temporal: ctx.temporal }, [n], source);
  return { created: result?.created ?? false };
}
