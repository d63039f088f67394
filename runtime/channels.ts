import type { Pool } from 'mysql2/promise';
import { CHANNEL_NAMESPACES } from '../contracts/channels';
import { ledgerChannelAuthorizer } from '../contracts/ledger';
import type { ChannelAuthorizer } from '../gateway/authorize';
import { conversationAuthorizer } from '../services/conversation-channel';

/**
 * Every channel namespace the gateway serves besides the built-in `user:`, with who may read it.
 * main.ts hands exactly these to the gateway role, and test/cross-user.e2e.test.ts tries another
 * user against each of them, so a namespace added here without a cross-user case fails that suite.
 */
export const channelAuthorizers = (ctx: { mysql(): Pool }): Record<string, ChannelAuthorizer> => ({
  [CHANNEL_NAMESPACES.conversation]: conversationAuthorizer(ctx),
  [CHANNEL_NAMESPACES.ledger]: ledgerChannelAuthorizer,
});
