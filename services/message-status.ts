// Chat message status events on Kafka: what connectors (SENT, DELIVERED) and readers (READ) emit,
// shared by the API, the msg.status consumer and the connector simulators.
import { z } from 'zod';
import type { Producer } from 'kafkajs';
import type { Config } from '../platform/config';
import { namesOf } from '../platform/names';

/** A message on its way to a connector: what Kafka `messages` carries (connectors parse it, no cast). */
export const OutgoingMessageSchema = z.object({
  messageId: z.uuid(),
  conversationId: z.uuid(),
  organizationId: z.string().min(1).max(128),
  channel: z.enum(['whatsapp', 'instagram']),
  senderId: z.string(),
  text: z.string(),
});
export type OutgoingMessage = z.infer<typeof OutgoingMessageSchema>;

/** A record of Kafka `msg.status`, as connectors (SENT, DELIVERED) and readers (READ) emit it. */
export const StatusEventSchema = z.object({
  messageId: z.uuid(),
  conversationId: z.uuid(),
  organizationId: z.string().min(1).max(128),
  channel: z.enum(['whatsapp', 'instagram']),
  status: z.enum(['SENT', 'DELIVERED', 'READ']),
  at: z.number().int().positive(),
  source: z.string().max(32).optional(),
});
export type StatusEvent = z.infer<typeof StatusEventSchema>;

/** Produces status events keyed by message (one message's events stay in order on one partition). */
export async function produceStatus(ctx: { config: Config; producer(): Promise<Producer> }, events: StatusEvent[]): Promise<void> {
  if (events.length === 0) return;
  const producer = await ctx.producer();
  await producer.send({ topic: namesOf(ctx.config).topics.msgStatus, messages: events.map((e) => ({ key: e.messageId, value: JSON.stringify(e) })) });
}
