// The `notifications` Kafka topic: each valid record becomes a scheduled notification (same path
// as POST /notifications); a bad record is dead-lettered with its reason and the partition moves on.
import { notificationSchema } from '../domain/notification';
import type { Context } from '../runtime/context';
import { PoisonMessageError } from '../platform/errors';
import { namesOf } from '../platform/names';
import { scheduleNotifications } from '../services/notification-scheduler';
import { consumeKafka, type KafkaSourceOptions } from './on-context';
import { parseRecord } from './parse-record';

export async function startNotificationsConsumer(ctx: Context, opts: KafkaSourceOptions = {}) {
  const schema = notificationSchema(Date.now);
  return consumeKafka(ctx, 'notifications', namesOf(ctx.config).topics.notifications, opts, async (message) => {
    const raw = message.value?.toString() ?? '';
    if (Buffer.byteLength(raw) > 64 * 1024) throw new PoisonMessageError('record larger than 64 KiB');
    await scheduleNotifications({ config: ctx.config, mysql: ctx.mysql(), temporal: ctx.temporal }, [parseRecord(schema, raw)], 'kafka');
  });
}
