// The gateway's channel names, `<namespace>:<id>`, spelled here once: what publishers push to, what
// clients subscribe to, and what the gateway authorizes by namespace (gateway/authorize.ts,
// runtime/channels.ts). Plain strings and functions: imported by the gateway, its browser client,
// services, activities and tests alike.

/** Every namespace the gateway serves, and whose channel each one is. */
export const CHANNEL_NAMESPACES = {
  /** A user's own channel (purchase statuses, event trails, web notifications): that user only. */
  user: 'user',
  /** A conversation's message ticks: its members only. */
  conversation: 'conversation',
  /** A merchant's daily balances as the ledger relay applies entries: that merchant only. */
  ledger: 'ledger',
} as const;
export type ChannelNamespace = (typeof CHANNEL_NAMESPACES)[keyof typeof CHANNEL_NAMESPACES];

const channelOf =
  (namespace: ChannelNamespace) =>
  (id: string): string =>
    `${namespace}:${id}`;

/** `user:{userId}`: every connection of the user is subscribed to it from the start. */
export const userChannel = channelOf(CHANNEL_NAMESPACES.user);
/** `conversation:{conversationId}`. */
export const conversationChannel = channelOf(CHANNEL_NAMESPACES.conversation);
/** `ledger:{merchantId}`. */
export const ledgerChannel = channelOf(CHANNEL_NAMESPACES.ledger);

/** A channel's namespace and id (the id is everything after the first colon). */
export function parseChannel(channel: string): { namespace: string; id: string } {
  const colon = channel.indexOf(':');
  return colon < 0 ? { namespace: '', id: channel } : { namespace: channel.slice(0, colon), id: channel.slice(colon + 1) };
}

/**
 * Whether a channel belongs to one of `namespaces` (e.g. GATEWAY_LIVE_ONLY_NAMESPACES); called per
 * publish, so it reads the namespace without building the parsed pair.
 */
export function inNamespaces(namespaces: readonly string[]): (channel: string) => boolean {
  const set = new Set(namespaces);
  return (channel) => set.size > 0 && set.has(channel.slice(0, Math.max(0, channel.indexOf(':'))));
}
