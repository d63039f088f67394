// The event fan-out's wire format: what the API puts on SNS and Kafka and the consumers read back.
// Kept apart from contracts/events.ts so the workflow bundle, which needs the types only, never
// loads zod.
import { z } from 'zod';

/** One event as it travels on SNS and Kafka; the consumers parse it with this schema, no cast. */
export const EventEnvelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.string().min(1).max(100),
  payload: z.unknown(),
  userId: z.string().min(1).max(128),
  acceptedAt: z.iso.datetime(),
});
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;
