import type { Redis } from 'ioredis';
import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../platform/logger';
import type { Authorization } from './authorize';
import { readHistory } from './history';
import type { Hub, Subscriber } from './hub';
import { framesOutOf, gatewayMetrics } from './metrics';
import { compareOffsets, LastOffset } from './offsets';
import { ClientFrame, CloseCode, type LiveFrame, type ServerFrame } from './protocol';
import { TokenBucket } from './rate-limit';
import type { Registry } from './registry';

/** The keepalive pass visits 1/KEEPALIVE_SLOTS of the sessions per tick. */
export const KEEPALIVE_SLOTS = 10;

export interface SessionDeps {
  instanceId: string;
  redis: Redis;
  hub: Hub;
  registry: Registry;
  authorize: (userId: string, channel: string) => Promise<Authorization>;
  /** True for a channel of a live-only namespace (GATEWAY_LIVE_ONLY_NAMESPACES): no history, nothing to recover. */
  isLiveOnly: (channel: string) => boolean;
  log: Logger;
  limits: { ratePerSecond: number; rateBurst: number; maxBufferedBytes: number; maxSubscriptions: number };
}

/** One channel subscription of one connection. */
class Subscription implements Subscriber {
  /** Live events held back while history is being replayed; null when live. */
  buffer: { frame: LiveFrame; raw: string }[] | null = null;
  /** Offset of the first event this subscription sent live. */
  firstLive: string | undefined;
  /** The last offset sent (kept as numbers: see LastOffset). */
  private readonly sent = new LastOffset();

  constructor(
    private readonly session: Session,
    readonly channel: string,
  ) {}

  deliver(frame: LiveFrame, raw: string): void {
    if (this.buffer) {
      this.buffer.push({ frame, raw });
      return;
    }
    // A live-only event has no offset: no replay to overlap with, so nothing to drop.
    if (frame.offset === '') return this.session.sendRaw(raw);
    if (!this.advance(frame.offset)) return;
    this.firstLive ??= frame.offset;
    this.session.sendRaw(raw);
  }

  /** True when `offset` comes after the last one sent, which it then becomes. */
  advance(offset: string): boolean {
    return this.sent.advance(offset);
  }
}

/** The server side of one WebSocket connection: frames in, events out, limits enforced. */
export class Session {
  private readonly subs = new Map<string, Subscription>();
  private readonly bucket: TokenBucket;
  private readonly framesOut: { n: number };
  private readonly log: Logger;
  closed = false;
  alive = true;
  /** Which keepalive tick visits this session (spreads pings over the interval). */
  readonly keepaliveSlot = Math.floor(Math.random() * KEEPALIVE_SLOTS);
  /** The code this server closed the connection with, if it did. */
  closeCode: number | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly connectionId: string,
    readonly userId: string,
    private readonly deps: SessionDeps,
  ) {
    this.bucket = new TokenBucket(deps.limits.ratePerSecond, deps.limits.rateBurst);
    this.framesOut = framesOutOf(deps.instanceId);
    this.log = deps.log.child({ connectionId, userId });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  /** Sends unless the client has fallen too far behind; then it is cut off, not buffered without bound. */
  sendRaw(raw: string): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.deps.limits.maxBufferedBytes) {
      this.close(CloseCode.slowConsumer, 'slow consumer');
      return;
    }
    this.ws.send(raw);
    this.framesOut.n++;
  }

  /** Closes with a code; a socket that cannot even take the close frame is dropped a second later. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1_000).unref();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.alive = true;
    gatewayMetrics.framesIn.inc({ instance: this.deps.instanceId });
    if (!this.bucket.take()) {
      this.close(CloseCode.policy, 'rate limit exceeded');
      return;
    }
    if (isBinary) {
      this.send({ type: 'error', code: 'malformed_frame', message: 'frames must be JSON text' });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      this.send({ type: 'error', code: 'malformed_frame', message: 'frame is not valid JSON' });
      return;
    }
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) {
      const type = (json as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !['subscribe', 'unsubscribe', 'ping'].includes(type)) {
        this.send({ type: 'error', code: 'unknown_frame', message: `unknown frame type ${JSON.stringify(type ?? null)}`, field: 'type' });
      } else {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') || 'frame';
        this.send({ type: 'error', code: 'invalid_frame', message: `${field}: ${issue?.message ?? 'invalid'}`, field });
      }
      return;
    }
    this.handle(parsed.data).catch((err: unknown) => {
      this.log.error({ err }, 'frame handling failed');
      this.send({ type: 'error', code: 'internal', message: 'internal error' });
    });
  }

  private async handle(frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'ping':
        this.send(frame.id === undefined ? { type: 'pong' } : { type: 'pong', id: frame.id });
        return;
      case 'unsubscribe':
        if (!this.subs.has(frame.channel)) {
          this.send({ type: 'error', code: 'not_subscribed', message: `not subscribed to ${frame.channel}`, channel: frame.channel });
          return;
        }
        await this.unsubscribe(frame.channel);
        this.send({ type: 'unsubscribed', channel: frame.channel });
        return;
      case 'subscribe':
        await this.subscribe(frame.channel, frame.since, frame.epoch);
        return;
    }
  }

  /**
   * Subscribes (or, for a channel already held, recovers) with no gap and no duplicate: live events
   * are buffered from the moment Redis confirms the pub/sub subscription, history after `since` is
   * read, then the buffer is flushed skipping what history already covered.
   */
  async subscribe(channel: string, since?: string, epoch?: string): Promise<void> {
    const auth = await this.deps.authorize(this.userId, channel);
    if (!auth.ok) {
      const message = auth.code === 'forbidden' ? `not allowed to read ${channel}` : `no such channel namespace in ${channel}`;
      this.send({ type: 'error', code: auth.code, message, channel });
      return;
    }
    let sub = this.subs.get(channel);
    const isNew = !sub;
    if (!sub) {
      if (this.subs.size >= this.deps.limits.maxSubscriptions) {
        this.send({ type: 'error', code: 'too_many_subscriptions', message: `at most ${this.deps.limits.maxSubscriptions} subscriptions`, channel });
        return;
      }
      sub = new Subscription(this, channel);
      this.subs.set(channel, sub);
      gatewayMetrics.subscriptions.inc({ instance: this.deps.instanceId });
    }
    sub.buffer ??= [];
    if (isNew) {
      await this.deps.hub.join(channel, sub);
      await this.deps.registry.channelDelta(channel, 1);
    }
    // A live-only channel keeps no history: a client asking to recover is told it cannot.
    const history = this.deps.isLiveOnly(channel)
      ? { recovered: since === undefined, events: [], offset: '', epoch: '' }
      : await readHistory(this.deps.redis, channel, since, epoch);
    if (this.closed || this.subs.get(channel) !== sub) return;
    this.send({ type: 'subscribed', channel, offset: history.offset, epoch: history.epoch, recovered: history.recovered, replayed: history.events.length });
    for (const event of history.events) {
      // Events this subscription already sent live (it was subscribed before) are not sent twice.
      if (sub.firstLive && compareOffsets(event.offset, sub.firstLive) >= 0) break;
      this.sendRaw(JSON.stringify(event));
      sub.advance(event.offset);
    }
    const buffered = sub.buffer;
    sub.buffer = null;
    for (const { frame, raw } of buffered) sub.deliver(frame, raw);
  }

  async unsubscribe(channel: string): Promise<void> {
    const sub = this.subs.get(channel);
    if (!sub) return;
    this.subs.delete(channel);
    gatewayMetrics.subscriptions.dec({ instance: this.deps.instanceId });
    this.deps.hub.leave(channel, sub);
    await this.deps.registry.channelDelta(channel, -1);
  }

  /** Releases every subscription (on close). */
  async dispose(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subs.keys()].map((c) => this.unsubscribe(c)));
  }
}
