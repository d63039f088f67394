// What the shell hands each page: who is signed in, the gateway connection, and live events.
import type { ClientEvents, GatewayClient } from '../../gateway/client';

export interface AppContext {
  userId: string;
  gateway: GatewayClient;
  config: { gatewayUrl: string; temporalUi: string };
  /** Listeners a page registers; removed when the page changes. */
  onEvent(listener: (e: ClientEvents['event']) => void): void;
}

export type Page = (root: HTMLElement, app: AppContext) => void;
