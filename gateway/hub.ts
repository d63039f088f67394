import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger';
import { contextFromTraceparent, SpanKind } from '../platform/trace-context';
import { roleTracer } from '../platform/tracing';
import { gatewayMetrics } from './metrics';
import type { LiveFrame } from './protocol';
import { channelKeys, pubsubPrefixOf, readLiveFrame } from './publisher';

/** Something that receives a channel's live events (a connection's subscription). */
export interface Subscriber {
  deliver(frame: LiveFrame, raw: string): void;
}

/**
 * One per gateway instance: holds one Redis pub/sub subscription per channel that has local
 * subscribers and fans each message out to them. The raw frame is forwarded as it came, so an event
 * is serialised once by the publisher whatever the number of sockets.
 */
export class Hub {
  /** Local subscribers by pub/sub name (`<env prefix>ch:<channel>`), the name each message comes with. */
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly pubsubPrefix: string;
  /** Length of the pub/sub name before the channel (`<env prefix>ch:`). */
  private readonly pubsubNameStart: number;
  private readonly deliveryLag: { observe(seconds: number): void };

  constructor(
    private readonly subscriber: Redis,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {
    this.pubsubPrefix = pubsubPrefixOf(subscriber);
    this.pubsubNameStart = channelKeys('', this.pubsubPrefix).pubsub.length;
    this.deliveryLag = gatewayMetrics.deliveryLag.labels({ instance: instanceId });
    subscriber.on('message', (pubsubChannel: string, raw: string) => this.onMessage(pubsubChannel, raw));
  }

  /** Adds a local subscriber; resolves once Redis confirms the subscription (no event is missed after). */
  async join(channel: string, sub: Subscriber): Promise<void> {
    const name = channelKeys(channel, this.pubsubPrefix).pubsub;
    let subs = this.channels.get(name);
    if (!subs) {
      subs = new Set();
      this.channels.set(name, subs);
      this.pending.set(name, this.subscriber.subscribe(name));
    }
    subs.add(sub);
    await this.pending.get(name);
  }

  leave(channel: string, sub: Subscriber): void {
    const name = channelKeys(channel, this.pubsubPrefix).pubsub;
    const subs = this.channels.get(name);
    if (!subs) return;
    subs.delete(sub);
    if (subs.size === 0) {
      this.channels.delete(name);
      this.pending.delete(name);
      this.subscriber.unsubscribe(name).catch((err: unknown) => this.log.warn({ err, channel }, 'unsubscribe failed'));
    }
  }

  // Per message and socket, at tens of thousands a second: the map is keyed by the name the message
  // comes with, so routing cuts no string; the channel's own name is cut only for a traced frame.
  private onMessage(pubsubChannel: string, raw: string): void {
    const subs = this.channels.get(pubsubChannel);
    if (!subs || subs.size === 0) return;
    const frame = readLiveFrame(raw);
    if (!frame) {
      this.log.error({ pubsubChannel, frame: raw.slice(0, 200) }, 'unreadable frame on pub/sub');
      return;
    }
    if (frame.traceparent) {
      // The last hop of a traced journey: this instance writing the event to its sockets.
      const channel = pubsubChannel.slice(this.pubsubNameStart);
      const span = roleTracer('gateway').startSpan(
        `deliver ${frame.event}`,
        { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'redis', 'messaging.destination.name': channel, 'tidings.sockets': subs.size } },
        contextFromTraceparent(frame.traceparent),
      );
      for (const sub of subs) sub.deliver(frame, raw);
      span.end();
    } else {
      for (const sub of subs) sub.deliver(frame, raw);
    }
    this.deliveryLag.observe(Math.max(0, Date.now() - frame.publishedAt) / 1000);
  }
}
