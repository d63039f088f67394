// What the shell hands each page: who is signed in, the gateway connection, and live events.
import type { ClientEvents, GatewayClient } from '../../gateway/client';

export interface AppContext {
  userId: string;
  gateway: GatewayClient;
  config: { gatewayUrl: string; temporalUi: string };
  /** Listeners a page registers; removed when the page changes. */
  onEvent(listener: (e: ClientEvents['event']) => void): void;
  /**
   * Subscribes to a channel for as long as the page is shown (unsubscribed when the page changes).
   * After a reconnect the gateway replays what the channel missed from its last offset.
   */
  subscribe(channel: string): void;
  /**
   * Called when the gateway could not replay what a channel missed (its history no longer reaches
   * back): the page refetches what it shows from the API. Removed when the page changes.
   */
  onGap(listener: (channel: string) => void): void;
}

export type Page = (root: HTMLElement, app: AppContext) => void;
