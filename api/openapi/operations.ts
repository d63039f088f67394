import { z } from 'zod';
import { notificationSchema, PreferencesSchema } from '../../domain/notification';
import { ConversationsQuery, CreateConversation, ListQuery as MessagesQuery, MarkRead, SendMessage } from '../conversations/routes';
import { ListQuery as EventsQuery, PublishEvent } from '../events/routes';
import { BalancesQuery, EntriesQuery, PostEntry } from '../ledger/routes';
import { BATCH_MAX, ListQuery as NotificationsQuery, UserIdParam } from '../notifications/routes';
import { PingRequest } from '../ping/routes';
import { CancelRequest, ListQuery as PurchasesQuery, PurchaseRequest } from '../purchases/routes';
import { DevTokenRequest } from '../web';

/** One documented route: the zod schemas its handler parses, with an example of each. */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono's pattern (`/purchases/:id`), as in `app.routes`. */
  path: string;
  tag: string;
  summary: string;
  /** Behind the bearer JWT (and the per-IP and per-user rate limits). */
  auth: boolean;
  body?: { schema: z.ZodType; example: unknown; optional?: boolean };
  query?: { schema: z.ZodType; example: Record<string, string> };
  /** Path parameters with an example value each. */
  params?: Record<string, string>;
  /** What a path parameter must be, where the route checks more than "a string" (else any string). */
  paramSchemas?: Record<string, z.ZodType>;
  /**
   * OpenAPI links from the success response to the operations that take what it returns (`to` is
   * `<method> <Hono path>`; values are runtime expressions such as `$response.body#/purchaseId`).
   * Clients and Schemathesis' stateful phase follow them to reach a real resource instead of a 404.
   */
  links?: Record<string, { to: string; description: string; parameters?: Record<string, string>; requestBody?: unknown }>;
  /** Constraints the route enforces against data (the product catalogue), added to the body's JSON Schema. */
  catalogueRules?: boolean;
  idempotencyKey?: 'required' | 'optional';
  /** `schema`: what the success body holds, where documented (checked against every answer by the contract run). */
  success: { status: number; description: string; contentType?: string; schema?: z.ZodType };
  /** Error statuses this route answers besides the ones every guarded route has (401, 429). */
  errors: number[];
}

/** An OpenAPI link that feeds the `id` path parameter of `to` from a field of this response (a JSON pointer). */
const idLink = (to: string, description: string, pointer: string) => ({ to, description, parameters: { id: `$response.body#${pointer}` } });

/** The id in the examples of routes on one resource. */
export const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';
const ID = PLACEHOLDER_ID;
const today = () => new Date().toISOString().slice(0, 10);

/**
 * Every route of the API app. The schemas are the handlers' own (exported next to each route), so the
 * document cannot drift from what is enforced; `openapi.test.ts` checks the list against `app.routes`
 * and every example against its schema and its route. Built per call: some examples are dates that a
 * schema requires to be in the future (`sendAt`).
 */
export function apiOperations(now = Date.now()): Operation[] {
  const notification = notificationSchema(() => now);
  const sendAt = new Date(now + 86_400_000).toISOString();
  const notificationExample = { notificationId: 'welcome-42', userId: 'alice', channel: 'web', sendAt, title: 'Welcome', body: 'Glad you are here' };
  return [
    // Operations (open).
    {
      method: 'get',
      path: '/health',
      tag: 'operations',
      summary: 'Liveness: the process answers',
      auth: false,
      success: { status: 200, description: 'alive' },
      errors: [],
    },
    {
      method: 'get',
      path: '/ready',
      tag: 'operations',
      summary: 'Readiness: every server it depends on answers',
      auth: false,
      success: { status: 200, description: 'ready' },
      errors: [503],
    },
    {
      method: 'get',
      path: '/metrics',
      tag: 'operations',
      summary: 'Prometheus metrics',
      auth: false,
      success: { status: 200, description: 'Prometheus text', contentType: 'text/plain' },
      errors: [],
    },
    {
      method: 'post',
      path: '/ping',
      tag: 'operations',
      summary: 'Runs the ping workflow through the worker: Kafka, SNS/SQS, Redis and MySQL probes',
      auth: false,
      body: { schema: PingRequest, example: { pingId: 'smoke-1' }, optional: true },
      success: { status: 200, description: 'every probe result' },
      errors: [400, 422, 503],
    },
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'operations',
      summary: 'This document',
      auth: false,
      success: { status: 200, description: 'OpenAPI 3.1' },
      errors: [],
    },
    {
      method: 'get',
      path: '/docs',
      tag: 'operations',
      summary: 'This document as a page',
      auth: false,
      success: { status: 200, description: 'HTML', contentType: 'text/html' },
      errors: [],
    },
    // The web app (open).
    {
      method: 'get',
      path: '/',
      tag: 'web',
      summary: 'The web app shell',
      auth: false,
      success: { status: 200, description: 'HTML', contentType: 'text/html' },
      errors: [],
    },
    {
      method: 'get',
      path: '/app.js',
      tag: 'web',
      summary: 'The web app bundle',
      auth: false,
      success: { status: 200, description: 'JavaScript', contentType: 'text/javascript' },
      errors: [],
    },
    { method: 'get', path: '/app.js.map', tag: 'web', summary: 'Its source map', auth: false, success: { status: 200, description: 'source map' }, errors: [] },
    {
      method: 'get',
      path: '/app.css',
      tag: 'web',
      summary: 'Its style sheet',
      auth: false,
      success: { status: 200, description: 'CSS', contentType: 'text/css' },
      errors: [],
    },
    {
      method: 'get',
      path: '/config.json',
      tag: 'web',
      summary: 'Public gateway and Temporal Web UI addresses',
      auth: false,
      success: { status: 200, description: 'addresses' },
      errors: [],
    },
    {
      method: 'post',
      path: '/dev/token',
      tag: 'web',
      summary: 'Development sign-in: a token for any user name (404 unless DEV_SIGN_IN=true)',
      auth: false,
      body: { schema: DevTokenRequest, example: { userId: 'alice' } },
      success: { status: 200, description: 'userId and token' },
      links: {
        PreferencesOfTheUser: idLink(
          'get /users/:id/notification-preferences',
          "the user's notification preferences (with that user's token, or a service token)",
          '/userId',
        ),
        SetPreferencesOfTheUser: idLink(
          'put /users/:id/notification-preferences',
          "set the user's notification preferences (with that user's token, or a service token)",
          '/userId',
        ),
      },
      errors: [400, 404, 422],
    },
    // Events.
    {
      method: 'post',
      path: '/events',
      tag: 'events',
      summary: 'Publish an event: recorded, then fanned out to SNS and Kafka by the event workflow',
      auth: true,
      idempotencyKey: 'optional',
      body: { schema: PublishEvent, example: { type: 'order.shipped', payload: { orderId: 'o-1' } } },
      success: { status: 202, description: 'accepted; eventId, statusUrl, temporalUi' },
      links: { GetEvent: idLink('get /events/:id', 'where the event went', '/eventId') },
      errors: [400, 409, 422, 503],
    },
    {
      method: 'get',
      path: '/events',
      tag: 'events',
      summary: "The caller's events",
      auth: true,
      query: { schema: EventsQuery, example: { type: 'order.shipped', limit: '10' } },
      success: { status: 200, description: 'events' },
      links: { GetFirstEvent: idLink('get /events/:id', 'the first event listed', '/events/0/eventId') },
      errors: [400],
    },
    {
      method: 'get',
      path: '/events/:id',
      tag: 'events',
      summary: 'Where an event went (its trail)',
      auth: true,
      params: { id: ID },
      success: { status: 200, description: 'the event and its trail' },
      errors: [404],
    },
    // Purchases.
    {
      method: 'post',
      path: '/purchases/simulate',
      tag: 'purchases',
      summary: 'Quote a purchase (synchronous, nothing recorded)',
      auth: true,
      body: { schema: PurchaseRequest, example: { productId: 'phone-x', quantity: 1, installments: 3 } },
      catalogueRules: true,
      success: { status: 200, description: 'the quote' },
      errors: [400, 422],
    },
    {
      method: 'post',
      path: '/purchases',
      tag: 'purchases',
      summary: 'Contract a purchase (asynchronous, through the purchase workflow)',
      auth: true,
      idempotencyKey: 'required',
      body: { schema: PurchaseRequest, example: { productId: 'gift-card-100', quantity: 1, installments: 1 } },
      catalogueRules: true,
      success: { status: 202, description: 'accepted; purchaseId, status RECEIVED, statusUrl, temporalUi' },
      links: {
        GetPurchase: idLink('get /purchases/:id', 'the purchase and its status', '/purchaseId'),
        CancelPurchase: idLink('post /purchases/:id/cancel', 'cancel it', '/purchaseId'),
      },
      errors: [400, 409, 422, 503],
    },
    {
      method: 'get',
      path: '/purchases',
      tag: 'purchases',
      summary: "The caller's purchases, newest first, page by page",
      auth: true,
      query: { schema: PurchasesQuery, example: { limit: '20' } },
      success: { status: 200, description: 'purchases and nextCursor' },
      links: {
        GetFirstPurchase: idLink('get /purchases/:id', 'the first purchase listed', '/purchases/0/purchaseId'),
      },
      errors: [400],
    },
    {
      method: 'get',
      path: '/purchases/:id',
      tag: 'purchases',
      summary: 'A purchase and its status',
      auth: true,
      params: { id: ID },
      success: { status: 200, description: 'the purchase' },
      errors: [404],
    },
    {
      method: 'post',
      path: '/purchases/:id/cancel',
      tag: 'purchases',
      summary: 'Cancel a purchase that is still running (body optional)',
      auth: true,
      params: { id: ID },
      body: { schema: CancelRequest, example: { reason: 'changed my mind' }, optional: true },
      success: { status: 200, description: 'the purchase after the cancel (CANCELLED already: the same answer again, Idempotent-Replayed)' },
      errors: [400, 404, 409, 422],
    },
    {
      method: 'get',
      path: '/products',
      tag: 'purchases',
      summary: 'The catalogue a purchase may name, with stock',
      auth: true,
      success: { status: 200, description: 'products' },
      errors: [],
    },
    // Ledger.
    {
      method: 'post',
      path: '/ledger/entries',
      tag: 'ledger',
      summary: "Post an entry to the caller's (merchant's) ledger",
      auth: true,
      idempotencyKey: 'optional',
      body: { schema: PostEntry, example: { type: 'credit', amount: '12.34', currency: 'BRL', description: 'sale', occurredAt: today() } },
      success: { status: 201, description: 'the entry' },
      links: {
        EntriesOfItsDay: { to: 'get /ledger/entries', description: 'the entries of its day', parameters: { date: '$response.body#/occurredOn' } },
        BalanceOfItsDay: { to: 'get /ledger/balances/daily', description: 'the balance of its day', parameters: { date: '$response.body#/occurredOn' } },
      },
      errors: [400, 409, 422],
    },
    {
      method: 'get',
      path: '/ledger/entries',
      tag: 'ledger',
      summary: 'Entries of one day, page by page',
      auth: true,
      query: { schema: EntriesQuery, example: { date: today(), limit: '100' } },
      success: { status: 200, description: 'entries and nextCursor' },
      errors: [400],
    },
    {
      method: 'get',
      path: '/ledger/balances/daily',
      tag: 'ledger',
      summary: 'Daily balances: one date, or from and to',
      auth: true,
      query: { schema: BalancesQuery, example: { from: today(), to: today() } },
      success: { status: 200, description: 'balances per day' },
      errors: [400],
    },
    // Notifications.
    {
      method: 'post',
      path: '/notifications',
      tag: 'notifications',
      summary: 'Schedule a notification (for the caller, or anyone with the service scope)',
      auth: true,
      body: { schema: notification, example: notificationExample },
      success: { status: 202, description: 'scheduled (`duplicate: true` when the same notificationId was already scheduled)' },
      links: {
        GetNotification: idLink('get /notifications/:id', 'the notification', '/notificationId'),
        RescheduleNotification: idLink('patch /notifications/:id', 'reschedule it', '/notificationId'),
        CancelNotification: idLink('delete /notifications/:id', 'cancel it', '/notificationId'),
      },
      errors: [400, 403, 409, 422, 503],
    },
    {
      method: 'post',
      path: '/notifications/batch',
      tag: 'notifications',
      summary: `Schedule up to ${BATCH_MAX} notifications at once`,
      auth: true,
      body: {
        schema: z.object({ notifications: z.array(notification).min(1).max(BATCH_MAX) }),
        example: { notifications: [{ ...notificationExample, notificationId: 'welcome-43' }] },
      },
      success: { status: 202, description: 'scheduled: each notificationId with `duplicate` (a repeated id is a duplicate of its first)' },
      links: {
        GetFirstNotification: idLink('get /notifications/:id', 'the first notification', '/notifications/0/notificationId'),
      },
      errors: [400, 403, 409, 422, 503],
    },
    {
      method: 'get',
      path: '/notifications',
      tag: 'notifications',
      summary: "The caller's notifications (another user's with the service scope)",
      auth: true,
      query: { schema: NotificationsQuery, example: { status: 'SCHEDULED', limit: '50' } },
      success: { status: 200, description: 'notifications, latest send time first, and nextCursor (pass it as cursor for the next page; null on the last)' },
      links: {
        GetFirstNotification: idLink('get /notifications/:id', 'the first notification listed', '/notifications/0/notificationId'),
      },
      errors: [400, 403],
    },
    {
      method: 'get',
      path: '/notifications/:id',
      tag: 'notifications',
      summary: 'A notification',
      auth: true,
      params: { id: 'welcome-42' },
      success: { status: 200, description: 'the notification' },
      errors: [404],
    },
    {
      method: 'patch',
      path: '/notifications/:id',
      tag: 'notifications',
      summary: 'Reschedule a pending notification',
      auth: true,
      params: { id: 'welcome-42' },
      body: { schema: z.object({ sendAt: notification.shape.sendAt }), example: { sendAt } },
      success: { status: 200, description: 'the notification after the change' },
      errors: [400, 404, 409, 422, 503],
    },
    {
      method: 'delete',
      path: '/notifications/:id',
      tag: 'notifications',
      summary: 'Cancel a pending notification',
      auth: true,
      params: { id: 'welcome-42' },
      success: { status: 200, description: 'the notification after the change' },
      errors: [404, 409, 503],
    },
    {
      method: 'get',
      path: '/users/:id/notification-preferences',
      tag: 'notifications',
      summary: "A user's notification preferences (one's own, or anyone's with the service scope)",
      auth: true,
      params: { id: 'alice' },
      paramSchemas: { id: UserIdParam },
      success: { status: 200, description: 'the preferences' },
      errors: [400, 404],
    },
    {
      method: 'put',
      path: '/users/:id/notification-preferences',
      tag: 'notifications',
      summary: "Replace a user's notification preferences",
      auth: true,
      params: { id: 'alice' },
      body: {
        schema: PreferencesSchema,
        example: { timezone: 'America/Sao_Paulo', channels: ['web', 'email'], quietHours: { start: '22:00', end: '07:00' }, mutedUntil: null },
      },
      paramSchemas: { id: UserIdParam },
      success: { status: 200, description: 'the preferences' },
      links: { GetPreferences: idLink('get /users/:id/notification-preferences', 'read them back', '/userId') },
      errors: [400, 404, 422],
    },
    // Conversations.
    {
      method: 'post',
      path: '/conversations',
      tag: 'conversations',
      summary: 'Create a conversation (the caller is a member; 422 naming members for yourself alone, 409 unknown_member for a user who has never signed in)',
      auth: true,
      body: { schema: CreateConversation, example: { organizationId: 'acme', channel: 'whatsapp', members: ['bob'] } },
      success: {
        status: 201,
        description: 'the conversation',
        schema: z.object({ conversationId: z.uuid(), organizationId: z.string(), channel: z.enum(['whatsapp', 'instagram']), members: z.array(z.string()) }),
      },
      links: {
        GetConversation: idLink('get /conversations/:id', 'the conversation', '/conversationId'),
        ListMessages: idLink('get /conversations/:id/messages', 'its messages', '/conversationId'),
        SendMessage: idLink('post /conversations/:id/messages', 'send a message', '/conversationId'),
      },
      errors: [400, 409, 422],
    },
    {
      method: 'get',
      path: '/conversations',
      tag: 'conversations',
      summary: "The caller's conversations, with members, latest message and unreadCount, most recently active first",
      auth: true,
      query: { schema: ConversationsQuery, example: { with: 'bob', limit: '20' } },
      success: { status: 200, description: 'conversations' },
      links: {
        GetFirstConversation: idLink('get /conversations/:id', 'the first conversation listed', '/conversations/0/conversationId'),
      },
      errors: [400],
    },
    {
      method: 'get',
      path: '/conversations/:id',
      tag: 'conversations',
      summary: 'A conversation the caller is a member of',
      auth: true,
      params: { id: ID },
      success: { status: 200, description: 'the conversation' },
      errors: [404],
    },
    {
      method: 'post',
      path: '/conversations/:id/messages',
      tag: 'conversations',
      summary: 'Send a message (committed with its outbox row; out to the connectors through Kafka)',
      auth: true,
      params: { id: ID },
      body: { schema: SendMessage, example: { clientMessageId: 'm-1', text: 'hello' } },
      success: { status: 202, description: 'accepted; messageId, status, duplicate' },
      links: {
        MarkReadUpToIt: {
          to: 'post /conversations/:id/read',
          description: 'mark read up to this message',
          parameters: { id: '$request.path.id' },
          requestBody: { upToMessageId: '$response.body#/messageId' },
        },
      },
      errors: [400, 404, 422],
    },
    {
      method: 'get',
      path: '/conversations/:id/messages',
      tag: 'conversations',
      summary: 'Messages with their statuses, newest first',
      auth: true,
      params: { id: ID },
      query: { schema: MessagesQuery, example: { limit: '50' } },
      success: { status: 200, description: 'messages' },
      links: {
        MarkReadUpToNewest: {
          to: 'post /conversations/:id/read',
          description: 'mark read up to the newest message',
          parameters: { id: '$request.path.id' },
          requestBody: { upToMessageId: '$response.body#/messages/0/messageId' },
        },
      },
      errors: [400, 404],
    },
    {
      method: 'post',
      path: '/conversations/:id/read',
      tag: 'conversations',
      summary: 'Mark messages read up to one',
      auth: true,
      params: { id: ID },
      body: { schema: MarkRead, example: { upToMessageId: ID } },
      success: { status: 200, description: 'the receipt' },
      errors: [400, 404, 409, 422],
    },
  ];
}
