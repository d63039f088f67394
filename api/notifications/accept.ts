import type { NotificationRequest } from '../../domain/notification';
import type { Client } from '@temporalio/client';
import type { Pool } from 'mysql2/promise';
import type { Config } from '../../platform/config';
import { scheduleNotifications } from '../../services/notification-scheduler';

/** What the notification routes use: MySQL for the rows and preferences, Temporal for time buckets. */
export interface NotificationDeps {
  config: Config;
  mysql: () => Pool;
  temporal: () => Promise<Client>;
}

/**
 * Both sources (HTTP and Kafka) end here: the row is recorded and its time bucket ensured. The id
 * makes it idempotent: a repeat records nothing and changes nothing.
 */
export async function acceptNotification(ctx: NotificationDeps, n: NotificationRequest, source: 'api' | 'kafka'): Promise<{ created: boolean }> {
  const [result] = await scheduleNotifications({ config: ctx.config, mysql: ctx.mysql(), temporal: ctx.temporal }, [n], source);
  return { created: result?.created ?? false };
}
