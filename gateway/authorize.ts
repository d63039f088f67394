import { CHANNEL_NAMESPACES, parseChannel } from '../contracts/channels';

/**
 * Decides whether a user may subscribe to a channel of one namespace (`conversation` for
 * `conversation:c-1`). Journeys add theirs; a namespace with no authorizer is unknown.
 */
export type ChannelAuthorizer = (userId: string, id: string) => boolean | Promise<boolean>;

export type Authorization = { ok: true } | { ok: false; code: 'unknown_channel' | 'forbidden' };

/** `user:{id}` is readable by that user only. */
export const DEFAULT_AUTHORIZERS: Record<string, ChannelAuthorizer> = {
  [CHANNEL_NAMESPACES.user]: (userId, id) => id === userId,
};

/** Combines per-namespace authorizers into one check. */
export function createChannelAuthorization(authorizers: Record<string, ChannelAuthorizer> = DEFAULT_AUTHORIZERS) {
  return async (userId: string, channel: string): Promise<Authorization> => {
    const { namespace, id } = parseChannel(channel);
    const authorizer = Object.hasOwn(authorizers, namespace) ? authorizers[namespace] : undefined;
    if (!authorizer) return { ok: false, code: 'unknown_channel' };
    return (await authorizer(userId, id)) ? { ok: true } : { ok: false, code: 'forbidden' };
  };
}
