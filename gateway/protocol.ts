import { z } from 'zod';

// Protocol v1 (docs/gateway-protocol.md): JSON text frames, one object per frame.

/** Channel names: `namespace:id`, e.g. `user:42`, `conversation:c-1`. */
export const ChannelName = z.string().regex(/^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9._@-]{1,128}$/, 'expected namespace:id');

/** Stream offsets are Redis stream ids: `<ms>-<seq>`. */
export const Offset = z.string().regex(/^\d+-\d+$/, 'expected an offset like 1700000000000-0');

export const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), channel: ChannelName, since: Offset.optional(), epoch: z.string().max(64).optional() }),
  z.object({ type: z.literal('unsubscribe'), channel: ChannelName }),
  z.object({ type: z.literal('ping'), id: z.union([z.string().max(64), z.number()]).optional() }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** A published event as it travels (Redis pub/sub payload) and as it reaches the client. */
export interface EventFrame {
  type: 'event';
  channel: string;
  offset: string;
  epoch: string;
  event: string;
  data: unknown;
  /** Epoch ms when the publisher appended it (lag metric). */
  publishedAt: number;
  /** W3C trace context of the publish, on live frames published inside a traced journey (docs/tracing.md); clients ignore it. */
  traceparent?: string;
}

/** What the gateway reads of a live frame to route it; the rest (the data) it forwards unread. */
export type LiveFrame = Pick<EventFrame, 'offset' | 'event' | 'publishedAt' | 'traceparent'>;

export type ServerFrame =
  | { type: 'welcome'; protocol: 1; connectionId: string; userId: string; expiresAt: string; channels: string[] }
  | { type: 'subscribed'; channel: string; offset: string; epoch: string; recovered: boolean; replayed: number }
  | { type: 'unsubscribed'; channel: string }
  | { type: 'pong'; id?: string | number }
  | EventFrame
  | { type: 'error'; code: ErrorCode; message: string; channel?: string; field?: string };

export type ErrorCode =
  'malformed_frame' | 'unknown_frame' | 'invalid_frame' | 'unknown_channel' | 'forbidden' | 'too_many_subscriptions' | 'not_subscribed' | 'internal';

export { CloseCode } from './close-codes';
