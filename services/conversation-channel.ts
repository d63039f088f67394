import { z } from 'zod';
import type { Pool } from 'mysql2/promise';
import { isMember } from '../stores/conversations';

/** The gateway's check for `conversation:{id}`: members only. */
export const conversationAuthorizer = (ctx: { mysql(): Pool }) => (user: string, conversationId: string) =>
  z.uuid().safeParse(conversationId).success ? isMember(ctx.mysql(), conversationId, user) : false;
