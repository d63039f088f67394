// The gateway client for browsers and Node: pass `WebSocket` from 'ws' in Node, nothing in a
// browser. No Node imports here, so it bundles for the web app as it is.
import { userChannel } from '../contracts/channels';
import { CloseCode } from './close-codes';
import { compareOffsets } from './offsets';
import type { EventFrame, ServerFrame } from './protocol';

/** The part of the WebSocket API this client uses (browser WebSocket and `ws` both have it). */
interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
type SocketConstructor = new (url: string) => SocketLike;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Exponential backoff with full jitter: uniformly random in [0, min(max, initial * 2^attempt)). */
export function backoffDelay(attempt: number, { initialMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, initialMs * 2 ** attempt));
}

export interface GatewayClientOptions {
  /** One gateway URL, or several to rotate through on reconnect. */
  url: string | string[];
  /** Called before every connection attempt, so an expiring token can be refreshed. */
  getToken: () => string | Promise<string>;
  WebSocket?: SocketConstructor;
  backoff?: BackoffOptions;
  random?: () => number;
}

/** Events a client emits, with their payloads. */
export interface ClientEvents {
  state: { state: ConnectionState; attempt: number; delayMs?: number; closeCode?: number };
  welcome: { connectionId: string; userId: string; expiresAt: string };
  event: EventFrame;
  subscribed: { channel: string; recovered: boolean; replayed: number };
  /** The gateway could not replay what this channel missed: refetch its state. */
  gap: { channel: string };
  error: { code: string; message: string; channel?: string };
}
type Listener<K extends keyof ClientEvents> = (payload: ClientEvents[K]) => void;

// The client's own fault: reconnecting would only repeat it.
const FATAL_CLOSE_CODES = new Set<number>([CloseCode.policy, CloseCode.tooBig]);

/**
 * A gateway connection that stays up: reconnects with backoff and jitter, refreshes its token,
 * and resubscribes every channel from the last offset it saw, so nothing is lost or repeated.
 */
export class GatewayClient {
  state: ConnectionState = 'idle';
  userId: string | undefined;
  private socket: SocketLike | undefined;
  private attempt = 0;
  private urlIndex = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly channels = new Set<string>();
  /** Last offset seen per channel, with the epoch it belongs to. */
  readonly positions = new Map<string, { offset: string; epoch: string }>();
  private readonly listeners = new Map<keyof ClientEvents, Set<(payload: never) => void>>();
  private readonly Socket: SocketConstructor;
  private readonly backoff: BackoffOptions;

  constructor(private readonly options: GatewayClientOptions) {
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
    if (!ctor) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. from the ws package)');
    this.Socket = ctor;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
  }

  on<K extends keyof ClientEvents>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  private emit<K extends keyof ClientEvents>(name: K, payload: ClientEvents[K]): void {
    for (const l of this.listeners.get(name) ?? []) (l as Listener<K>)(payload);
  }

  private setState(state: ConnectionState, extra: Omit<ClientEvents['state'], 'state' | 'attempt'> = {}): void {
    this.state = state;
    this.emit('state', { state, attempt: this.attempt, ...extra });
  }

  connect(): void {
    this.stopped = false;
    void this.open();
  }

  /** Subscribes to a channel now (if connected) and after every reconnect. */
  subscribe(channel: string): void {
    this.channels.add(channel);
    if (this.state === 'open') this.sendSubscribe(channel);
  }

  unsubscribe(channel: string): void {
    this.channels.delete(channel);
    this.positions.delete(channel);
    if (this.state === 'open') this.socket?.send(JSON.stringify({ type: 'unsubscribe', channel }));
  }

  /** While waiting to reconnect (or given up on a fatal close): tries again now instead. */
  retryNow(): void {
    if (this.state !== 'reconnecting' && this.state !== 'closed') return;
    clearTimeout(this.timer);
    this.stopped = false;
    void this.open();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, 'client closed');
    this.setState('closed');
  }

  private async open(): Promise<void> {
    this.setState('connecting');
    let token: string;
    try {
      token = await this.options.getToken();
    } catch {
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) return;
    const urls = Array.isArray(this.options.url) ? this.options.url : [this.options.url];
    const url = new URL(urls[this.urlIndex % urls.length]!);
    url.searchParams.set('access_token', token);
    // Where we left our own channel: the gateway replays it before any live event.
    const own = this.userId ? this.positions.get(userChannel(this.userId)) : undefined;
    if (own) {
      url.searchParams.set('since', own.offset);
      url.searchParams.set('epoch', own.epoch);
    }
    const socket = new this.Socket(url.toString());
    this.socket = socket;
    socket.onmessage = (ev) => this.onFrame(JSON.parse(String(ev.data)) as ServerFrame);
    socket.onerror = () => undefined; // a close event follows
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.stopped) return;
      if (FATAL_CLOSE_CODES.has(ev.code)) {
        this.setState('closed', { closeCode: ev.code });
        return;
      }
      this.urlIndex++;
      // A lifetime or shutdown close is routine: come back at once; anything else backs off.
      if (ev.code === CloseCode.lifetime || ev.code === CloseCode.goingAway) this.attempt = 0;
      this.scheduleReconnect(ev.code);
    };
  }

  private scheduleReconnect(closeCode?: number): void {
    const delayMs = backoffDelay(this.attempt, this.backoff, this.options.random);
    this.attempt++;
    this.setState('reconnecting', { delayMs, ...(closeCode === undefined ? {} : { closeCode }) });
    this.timer = setTimeout(() => void this.open(), delayMs);
  }

  private sendSubscribe(channel: string): void {
    const at = this.positions.get(channel);
    this.socket?.send(JSON.stringify({ type: 'subscribe', channel, ...(at ? { since: at.offset, epoch: at.epoch } : {}) }));
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.userId = frame.userId;
        this.attempt = 0;
        this.setState('open');
        this.emit('welcome', { connectionId: frame.connectionId, userId: frame.userId, expiresAt: frame.expiresAt });
        for (const channel of this.channels) if (channel !== userChannel(frame.userId)) this.sendSubscribe(channel);
        return;
      case 'subscribed': {
        const at = this.positions.get(frame.channel);
        if (!frame.recovered) this.emit('gap', { channel: frame.channel });
        // A live-only channel (empty offset) has no position to resume from.
        if (frame.offset === '') this.positions.delete(frame.channel);
        else if (!at || !frame.recovered) this.positions.set(frame.channel, { offset: frame.offset, epoch: frame.epoch });
        // Recovered from before the channel's first event (we held 0-0 with no epoch): keep our
        // offset, so the replay that follows is delivered, under the epoch the channel now has.
        else if (at.epoch !== frame.epoch) this.positions.set(frame.channel, { offset: at.offset, epoch: frame.epoch });
        this.emit('subscribed', { channel: frame.channel, recovered: frame.recovered, replayed: frame.replayed });
        return;
      }
      case 'event': {
        // A live-only event (empty offset) is in no history, so it can be neither replayed nor repeated.
        if (frame.offset === '') return void this.emit('event', frame);
        const at = this.positions.get(frame.channel);
        // Never deliver an event twice, whatever the server or network did.
        if (at && at.epoch === frame.epoch && compareOffsets(frame.offset, at.offset) <= 0) return;
        this.positions.set(frame.channel, { offset: frame.offset, epoch: frame.epoch });
        this.emit('event', frame);
        return;
      }
      case 'error':
        this.emit('error', { code: frame.code, message: frame.message, ...(frame.channel ? { channel: frame.channel } : {}) });
        return;
      default:
        return;
    }
  }
}
