import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import type { Publisher } from '../../gateway/publisher';
import type { Config } from '../../platform/config';
import type { Lifecycle } from '../../platform/lifecycle';
import type { Logger } from '../../platform/logger';
import { AppError } from '../../platform/errors';
import { conversationsOf, createConversation, getMessage, insertMessage, isMember, listMessages, unreadUpTo } from '../../stores/conversations';
import { documentedRoutes, errors, idLink, idParam, jsonBody, link, PLACEHOLDER_ID, success } from '../openapi/define';
import { applyStatuses, bucketIdFor, createMessageDispatcher } from '../../services/message-delivery';
import { createConversationCache } from '../../stores/conversation-cache';
import { knownUsers } from '../../stores/users';
import { CONVERSATION_UPDATED_EVENT, type ConversationUpdate } from '../../contracts/messages';
import { userChannel } from '../../contracts/channels';

export const MAX_TEXT = 4096;
/**
 * A member's user id: 1–128 visible ASCII characters (as in `/users/:id`). Ids that differ only in
 * case are one member: MySQL compares them so (utf8mb4_unicode_ci), so they are deduplicated before.
 */
const userId = z.string().regex(/^[\x21-\x7e]{1,128}$/, '1-128 visible ASCII characters');

export const CreateConversation = z.object({
  organizationId: z.string().min(1).max(128),
  channel: z.enum(['whatsapp', 'instagram']),
  members: z.array(userId).min(1).max(100),
});
export const SendMessage = z.object({
  clientMessageId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64'),
  // Both rules stated in the OpenAPI document: a pattern (not only white space) and the length in
  // characters (code points, as JSON Schema counts them, not UTF-16 units).
  text: z
    .string()
    .regex(/\S/, 'must not be empty')
    .refine((t) => [...t].length <= MAX_TEXT, `at most ${MAX_TEXT} characters`)
    .meta({ maxLength: MAX_TEXT }),
});
export const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50).meta({ example: 50 }), before: z.uuid().optional() });
export const MarkRead = z.object({ upToMessageId: z.uuid() });
/** `with`: only the conversations shared with that user (how a client finds one to reuse). */
export const ConversationsQuery = z.object({
  with: userId.optional().meta({ example: 'bob' }),
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ example: 20 }),
});
/** What POST /conversations answers (checked against every answer by the contract run). */
const Conversation = z.object({
  conversationId: z.uuid(),
  organizationId: z.string(),
  channel: z.enum(['whatsapp', 'instagram']),
  members: z.array(z.string()),
});

const tags = ['conversations'];
const create = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Create a conversation (the caller is a member; 422 naming members for yourself alone, 409 unknown_member for a user who has never called the API)',
  request: { body: jsonBody(CreateConversation, { organizationId: 'acme', channel: 'whatsapp', members: ['bob'] }) },
  responses: {
    201: success('the conversation', {
      schema: Conversation,
      links: {
        GetConversation: idLink('get /conversations/:id', 'the conversation', '/conversationId'),
        ListMessages: idLink('get /conversations/:id/messages', 'its messages', '/conversationId'),
        SendMessage: idLink('post /conversations/:id/messages', 'send a message', '/conversationId'),
      },
    }),
    ...errors(400, 409, 422),
  },
});
const list = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: "The caller's `limit` most recently active conversations (newest message, else creation) first, with members, latest message and unreadCount",
  request: { query: ConversationsQuery },
  responses: {
    200: success('conversations', {
      links: { GetFirstConversation: idLink('get /conversations/:id', 'the first conversation listed', '/conversations/0/conversationId') },
    }),
    ...errors(400),
  },
});
const get = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'A conversation the caller is a member of',
  request: { params: idParam() },
  responses: { 200: success('the conversation'), ...errors(404) },
});
const send = createRoute({
  method: 'post',
  path: '/{id}/messages',
  tags,
  summary: 'Send a message (committed with its outbox row; out to the connectors through Kafka)',
  request: { params: idParam(), body: jsonBody(SendMessage, { clientMessageId: 'm-1', text: 'hello' }) },
  responses: {
    202: success('accepted; messageId, status, duplicate', {
      links: {
        MarkReadUpToIt: link('post /conversations/:id/read', 'mark read up to this message', {
          parameters: { id: '$request.path.id' },
          requestBody: { upToMessageId: '$response.body#/messageId' },
        }),
      },
    }),
    ...errors(400, 404, 422),
  },
});
const messages = createRoute({
  method: 'get',
  path: '/{id}/messages',
  tags,
  summary: 'Messages with their statuses, newest first',
  request: { params: idParam(), query: ListQuery },
  responses: {
    200: success('messages', {
      links: {
        MarkReadUpToNewest: link('post /conversations/:id/read', 'mark read up to the newest message', {
          parameters: { id: '$request.path.id' },
          requestBody: { upToMessageId: '$response.body#/messages/0/messageId' },
        }),
      },
    }),
    ...errors(400, 404),
  },
});
const markRead = createRoute({
  method: 'post',
  path: '/{id}/read',
  tags,
  summary: 'Mark messages read up to one',
  request: { params: idParam(), body: jsonBody(MarkRead, { upToMessageId: PLACEHOLDER_ID }) },
  responses: { 200: success('the receipt'), ...errors(400, 404, 409, 422) },
});

/** `/conversations`: create, send (MySQL first; out through the outbox to Kafka `messages`), list with statuses, read receipts. */
export interface ConversationRouteDeps {
  config: Config;
  log: Logger;
  mysql: () => Pool;
  /** The dispatcher's: Kafka `messages`, and Temporal for deadline buckets and the relay. */
  producer: () => Promise<Producer>;
  temporal: () => Promise<Client>;
  /** Read receipts tick the conversation's channel. */
  publisher: () => Publisher;
  /** Drains the dispatcher at shutdown. */
  lifecycle: Pick<Lifecycle, 'add'>;
}

export function conversationRoutes(deps: ConversationRouteDeps) {
  const { config } = deps;

  const conversations = createConversationCache(deps.mysql);

  /** The conversation, if the caller may see it: 404 when unknown or when not a member. */
  async function memberOf(conversationId: string, user: string) {
    const conversation = z.uuid().safeParse(conversationId).success ? await conversations.get(conversationId) : undefined;
    if (!conversation) throw new AppError(404, 'not_found', `no conversation ${conversationId}`, { field: 'id' });
    // Not a member: "not found" too, so conversation ids cannot be probed.
    if (!conversation.members.includes(user)) throw new AppError(404, 'not_found', `no conversation ${conversationId}`, { field: 'id' });
    return conversation;
  }

  // Messages leave through the outbox: sent from here right after the commit, or by the relay
  // workflow when that fails (Kafka or Temporal down), so the answer never waits on either.
  const dispatcher = createMessageDispatcher({ ...deps, mysql: deps.mysql(), log: deps.log });
  deps.lifecycle.add('message dispatcher', dispatcher, async (d) => {
    d.stop();
    await d.drain();
  });

  /**
   * Tells each of `to` (every open tab, on its `user:{id}`) that the conversation changed. Best
   * effort, after the commit: a push that fails is logged, and the lists catch up on their next load.
   */
  const notify = (to: string[], update: ConversationUpdate) =>
    Promise.all(to.map((m) => deps.publisher().publish(userChannel(m), CONVERSATION_UPDATED_EVENT, update, { countConnections: false }))).then(
      () => undefined,
      (err: unknown) => deps.log.warn({ err, conversationId: update.conversationId }, 'could not push conversation.updated'),
    );

  const app = documentedRoutes();
  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const me = c.get('principal').userId;
    // Deduplicated as MySQL compares ids (case-insensitively), yourself left out.
    const seen = new Set([me.toLowerCase()]);
    const others = body.members.filter((m) => !seen.has(m.toLowerCase()) && seen.add(m.toLowerCase()));
    if (others.length === 0) {
      throw new AppError(422, 'no_other_member', 'add someone other than yourself: a conversation needs at least one other member', { field: 'members' });
    }
    const known = await knownUsers(deps.mysql(), others);
    const unknown = others.filter((m) => !known.has(m));
    if (unknown.length) {
      // 409, not 422: the request is well formed; the server knows no such user (yet).
      throw new AppError(
        409,
        'unknown_member',
        `${unknown.length === 1 ? 'there is no user' : 'there are no users'} ${unknown.map((u) => `“${u}”`).join(', ')}: check the name`,
        { field: 'members', unknown },
      );
    }
    const conversationId = randomUUID();
    const members = [me, ...others];
    await createConversation(deps.mysql(), { conversationId, organizationId: body.organizationId, channel: body.channel, members });
    // Not awaited: the conversation exists whatever Redis does (lists catch up on their next load).
    void notify(members, { conversationId, reason: 'created', members, channel: body.channel });
    return c.json({ conversationId, organizationId: body.organizationId, channel: body.channel, members }, 201);
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(
      {
        conversations: await conversationsOf(deps.mysql(), c.get('principal').userId, { limit: q.limit, ...(q.with ? { withUser: q.with } : {}) }),
      },
      200,
    );
  });
  app.openapi(get, async (c) => c.json(await memberOf(c.req.valid('param').id, c.get('principal').userId), 200));
  app.openapi(send, async (c) => {
    const me = c.get('principal').userId;
    const conversation = await memberOf(c.req.valid('param').id, me);
    const body = c.req.valid('json');
    const { message: stored, created } = await insertMessage(deps.mysql(), {
      messageId: randomUUID(),
      conversationId: conversation.conversationId,
      senderId: me,
      clientMessageId: body.clientMessageId,
      text: body.text,
    });
    // Accepted once committed (the message and its outbox row). A retry of the same client
    // message id kicks the dispatch again, which sends it if it is still waiting in the outbox.
    dispatcher.kick(stored.messageId);
    // Every member's list moves it up with its preview (and the others' unread counts grow); not awaited.
    if (created) {
      const { messageId, senderId, text, status, createdAt } = stored;
      void notify(conversation.members, {
        conversationId: conversation.conversationId,
        reason: 'message',
        members: conversation.members,
        channel: conversation.channel,
        lastMessage: { messageId, senderId, text, status, createdAt },
      });
    }
    return c.json(
      {
        messageId: stored.messageId,
        status: stored.status,
        duplicate: !created,
        // The deadline bucket it is expected in (one held back by an outage gets a later one).
        temporalUi: workflowUiUrl(config, bucketIdFor(config, Date.now())),
      },
      202,
    );
  });
  app.openapi(messages, async (c) => {
    const { id } = c.req.valid('param');
    await memberOf(id, c.get('principal').userId);
    return c.json(await listMessages(deps.mysql(), id, c.req.valid('query')), 200);
  });
  app.openapi(markRead, async (c) => {
    const me = c.get('principal').userId;
    const conversation = await memberOf(c.req.valid('param').id, me);
    const { upToMessageId } = c.req.valid('json');
    const target = await getMessage(deps.mysql(), upToMessageId);
    if (!target || target.conversationId !== conversation.conversationId) {
      // 409, not 404: the conversation (the target) exists; the body names no message of it. The
      // same answer for an unknown id and another conversation's message, so ids cannot be probed.
      throw new AppError(409, 'unknown_message', `no message ${upToMessageId} in this conversation`, { field: 'upToMessageId' });
    }
    // The reader's receipt is applied here, as the msg.status consumer applies the connectors'
    // reports (forward only, ticked before the commit): it needs neither Kafka nor a workflow.
    const unread = await unreadUpTo(deps.mysql(), conversation.conversationId, me, upToMessageId);
    const at = Date.now();
    await applyStatuses(
      { mysql: deps.mysql(), publisher: deps.publisher },
      unread.map((m) => ({ messageId: m.messageId, conversationId: m.conversationId, status: 'READ' as const, at })),
    );
    // The reader's other tabs drop the unread count.
    if (unread.length)
      void notify([me], { conversationId: conversation.conversationId, reason: 'read', members: conversation.members, channel: conversation.channel });
    return c.json({ marked: unread.length }, 200);
  });
  return app;
}
