// MySQL access for chat: conversations, membership, messages and their status transitions.
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../platform/db/transaction';

export const MESSAGE_STATUSES = ['PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type ConnectorChannel = 'whatsapp' | 'instagram';

export interface Conversation {
  conversationId: string;
  organizationId: string;
  channel: ConnectorChannel;
  members: string[];
}

export interface MessageView {
  messageId: string;
  conversationId: string;
  senderId: string;
  clientMessageId: string;
  text: string;
  status: MessageStatus;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
}

export async function createConversation(pool: Pool, c: Conversation): Promise<void> {
  await inTransaction(pool, async (conn) => {
    await conn.query('INSERT INTO conversations (conversation_id, organization_id, channel) VALUES (?, ?, ?)', [c.conversationId, c.organizationId, c.channel]);
    await conn.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES ?', [c.members.map((m) => [c.conversationId, m])]);
  });
}

export async function getConversation(pool: Pool, conversationId: string): Promise<Conversation | undefined> {
  // One round trip (every message send asks): the conversation's row once per member.
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT c.organization_id, c.channel, m.user_id FROM conversations c LEFT JOIN conversation_members m USING (conversation_id) WHERE c.conversation_id = ? ORDER BY m.user_id',
    [conversationId],
  );
  if (!rows[0]) return undefined;
  return {
    conversationId,
    organizationId: rows[0].organization_id as string,
    channel: rows[0].channel as ConnectorChannel,
    members: rows.flatMap((r) => (r.user_id === null ? [] : [r.user_id as string])),
  };
}

/** The latest message of a conversation, as a list shows it. */
export interface LastMessage {
  messageId: string;
  senderId: string;
  text: string;
  status: MessageStatus;
  createdAt: string;
}

export interface ConversationSummary extends Conversation {
  createdAt: string;
  lastMessage: LastMessage | null;
  /** Messages by others the user has not read yet (neither READ nor FAILED). */
  unreadCount: number;
}

/**
 * The conversations a user belongs to, with their members and latest message, most recently active
 * first. `withUser` keeps only those that user is also a member of (finding the conversation one
 * already has with someone, instead of starting another).
 */
export async function conversationsOf(
  pool: Pool,
  userId: string,
  { limit = 50, withUser }: { limit?: number; withUser?: string } = {},
): Promise<ConversationSummary[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    // The page is the most recently active (newest message, else creation), so an old conversation
    // that is busy today is on the first page, not cut by its age.
    `SELECT c.*, COALESCE((SELECT MAX(l.created_at) FROM messages l WHERE l.conversation_id = c.conversation_id), c.created_at) AS active_at
       FROM conversations c JOIN conversation_members m USING (conversation_id) WHERE m.user_id = ?
       ${withUser ? 'AND c.conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = ?)' : ''}
     ORDER BY active_at DESC, c.conversation_id DESC LIMIT ?`,
    withUser ? [userId, withUser, limit] : [userId, limit],
  );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.conversation_id as string);
  const [members] = await pool.query<RowDataPacket[]>(
    'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id IN (?) ORDER BY user_id',
    [ids],
  );
  // One row per conversation: its newest message (the messages_conversation index serves each lookup).
  const [last] = await pool.query<RowDataPacket[]>(
    `SELECT m.* FROM messages m WHERE m.conversation_id IN (?) AND m.message_id = (
       SELECT l.message_id FROM messages l WHERE l.conversation_id = m.conversation_id ORDER BY l.created_at DESC, l.message_id DESC LIMIT 1)`,
    [ids],
  );
  const lastOf = new Map(last.map((r) => [r.conversation_id as string, toView(r)]));
  const [unread] = await pool.query<RowDataPacket[]>(
    `SELECT conversation_id, COUNT(*) AS n FROM messages WHERE conversation_id IN (?) AND sender_id <> ? AND status NOT IN ('READ', 'FAILED')
     GROUP BY conversation_id`,
    [ids, userId],
  );
  const unreadOf = new Map(unread.map((r) => [r.conversation_id as string, Number(r.n)]));
  const summaries = rows.map((r): ConversationSummary => {
    const id = r.conversation_id as string;
    const m = lastOf.get(id);
    return {
      conversationId: id,
      organizationId: r.organization_id as string,
      channel: r.channel as ConnectorChannel,
      members: members.filter((x) => x.conversation_id === id).map((x) => x.user_id as string),
      createdAt: (r.created_at as Date).toISOString(),
      lastMessage: m ? { messageId: m.messageId, senderId: m.senderId, text: m.text, status: m.status, createdAt: m.createdAt } : null,
      unreadCount: unreadOf.get(id) ?? 0,
    };
  });
  return summaries;
}

export async function isMember(pool: Pool, conversationId: string, userId: string): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT 1 FROM conversation_members WHERE conversation_id = ? AND user_id = ?', [conversationId, userId]);
  return rows.length > 0;
}

const iso = (d: unknown) => (d ? (d as Date).toISOString() : null);
const toView = (r: RowDataPacket): MessageView => ({
  messageId: r.message_id as string,
  conversationId: r.conversation_id as string,
  senderId: r.sender_id as string,
  clientMessageId: r.client_message_id as string,
  text: r.text as string,
  status: r.status as MessageStatus,
  createdAt: (r.created_at as Date).toISOString(),
  sentAt: iso(r.sent_at),
  deliveredAt: iso(r.delivered_at),
  readAt: iso(r.read_at),
  failedAt: iso(r.failed_at),
});

/**
 * Inserts the message unless the sender already sent this client message id; returns the stored
 * one. The `messages_outbox` trigger (migration 009) writes its outbox row in the same statement's
 * transaction, so an accepted message is always on its way out, whatever is down afterwards.
 */
export async function insertMessage(
  pool: Pool,
  m: { messageId: string; conversationId: string; senderId: string; clientMessageId: string; text: string },
): Promise<{ message: MessageView; created: boolean }> {
  const createdAt = new Date();
  const [r] = await pool.query<ResultSetHeader>(
    "INSERT IGNORE INTO messages (message_id, conversation_id, sender_id, client_message_id, text, status, created_at) VALUES (?, ?, ?, ?, ?, 'PENDING', ?)",
    [m.messageId, m.conversationId, m.senderId, m.clientMessageId, m.text, createdAt],
  );
  if (r.affectedRows === 1) {
    const nothing = { sentAt: null, deliveredAt: null, readAt: null, failedAt: null };
    return { message: { ...m, status: 'PENDING', createdAt: createdAt.toISOString(), ...nothing }, created: true };
  }
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ?', [
    m.conversationId,
    m.senderId,
    m.clientMessageId,
  ]);
  return { message: toView(rows[0]!), created: false };
}

export async function listMessages(pool: Pool, conversationId: string, { limit, before }: { limit: number; before?: string }) {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT * FROM messages WHERE conversation_id = ? ${before ? 'AND created_at < (SELECT created_at FROM messages WHERE message_id = ?)' : ''}
     ORDER BY created_at DESC, message_id DESC LIMIT ?`,
    before ? [conversationId, before, limit + 1] : [conversationId, limit + 1],
  );
  const page = rows.slice(0, limit).map(toView);
  return { messages: page, nextBefore: rows.length > limit ? page[page.length - 1]!.messageId : null };
}

/** Messages by others in the conversation up to (and including) `upTo`, not yet READ. */
export async function unreadUpTo(pool: Pool, conversationId: string, readerId: string, upTo: string): Promise<MessageView[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT * FROM messages WHERE conversation_id = ? AND sender_id <> ? AND status NOT IN ('READ', 'FAILED')
       AND created_at <= (SELECT created_at FROM messages WHERE message_id = ? AND conversation_id = ?)`,
    [conversationId, readerId, upTo, conversationId],
  );
  return rows.map(toView);
}

export async function getMessage(pool: Pool, messageId: string): Promise<MessageView | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM messages WHERE message_id = ?', [messageId]);
  return rows[0] ? toView(rows[0]) : undefined;
}

const COLUMN: Record<Exclude<MessageStatus, 'PENDING'>, string> = { SENT: 'sent_at', DELIVERED: 'delivered_at', READ: 'read_at', FAILED: 'failed_at' };

export async function transitionsOf(pool: Pool, messageIds: string[]): Promise<{ messageId: string; status: MessageStatus }[]> {
  if (messageIds.length === 0) return [];
  const [rows] = await pool.query<RowDataPacket[]>('SELECT message_id, status FROM message_transitions WHERE message_id IN (?)', [messageIds]);
  return rows.map((r) => ({ messageId: r.message_id as string, status: r.status as MessageStatus }));
}

/** A status hop applied to a message: what is ticked to its conversation. */
export interface StatusHop {
  messageId: string;
  conversationId: string;
  status: Exclude<MessageStatus, 'PENDING'>;
  at: number;
}

/** A status event as connectors (SENT, DELIVERED) and readers (READ) report it. */
export interface StatusReport {
  messageId: string;
  conversationId: string;
  status: 'SENT' | 'DELIVERED' | 'READ';
  at: number;
}

const RANK: Record<MessageStatus, number> = { PENDING: 0, SENT: 1, DELIVERED: 2, READ: 3, FAILED: 9 };
const FORWARD = ['SENT', 'DELIVERED', 'READ'] as const;

/** Builds `CASE message_id WHEN ? THEN ? … END` over the given rows (params appended to `params`). */
function caseOf(rows: [string, unknown][], params: unknown[], otherwise = 'NULL'): string {
  for (const [id, v] of rows) params.push(id, v);
  return `CASE message_id ${rows.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${otherwise} END`;
}

/**
 * Applies status reports forward only, the whole batch in one transaction (the caller's): the rows are
 * locked (in id order, as every writer of many rows does), each message moves to the furthest
 * status reported for it, bringing skipped steps along in order (READ on a SENT message records
 * DELIVERED too), with one conditional UPDATE (`status` must still be what was read). A duplicate
 * or a regression changes nothing, and FAILED is terminal. The caller ticks the hops before its
 * commit. Reports about messages that do not exist, or not in the
 * conversation they name, are returned as `unknown` and change nothing.
 */
export async function applyStatusReports(conn: PoolConnection, reports: StatusReport[]): Promise<{ hops: StatusHop[]; unknown: StatusReport[] }> {
  if (reports.length === 0) return { hops: [], unknown: [] };
  const ids = [...new Set(reports.map((r) => r.messageId))].sort();
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT message_id, conversation_id, status FROM messages WHERE message_id IN (?) ORDER BY message_id FOR UPDATE',
    [ids],
  );
  const current = new Map(rows.map((r) => [r.message_id as string, { conversationId: r.conversation_id as string, status: r.status as MessageStatus }]));
  const unknown = reports.filter((r) => current.get(r.messageId)?.conversationId !== r.conversationId);
  const hops: StatusHop[] = [];
  const moves: { id: string; from: MessageStatus; to: MessageStatus; at: Partial<Record<'SENT' | 'DELIVERED' | 'READ', Date>> }[] = [];
  for (const id of ids) {
    const now = current.get(id);
    const mine = reports.filter((r) => r.messageId === id && r.conversationId === now?.conversationId);
    if (!now || mine.length === 0 || now.status === 'FAILED') continue;
    const target = mine.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
    if (RANK[target.status] <= RANK[now.status]) continue; // a duplicate or a regression
    const move: (typeof moves)[number] = { id, from: now.status, to: target.status, at: {} };
    for (const s of FORWARD) {
      if (RANK[s] <= RANK[now.status] || RANK[s] > RANK[target.status]) continue;
      // A step's own report gives its time; a step brought along takes the time of the report that implied it.
      const at = mine.find((r) => r.status === s)?.at ?? target.at;
      move.at[s] = new Date(at);
      hops.push({ messageId: id, conversationId: now.conversationId, status: s, at });
    }
    moves.push(move);
  }
  if (moves.length > 0) {
    const params: unknown[] = [];
    const status = caseOf(
      moves.map((m) => [m.id, m.to]),
      params,
    );
    const column = (s: 'SENT' | 'DELIVERED' | 'READ') => {
      const set = moves.filter((m) => m.at[s]).map((m): [string, unknown] => [m.id, m.at[s]]);
      return set.length ? `${COLUMN[s]} = COALESCE(${COLUMN[s]}, ${caseOf(set, params)})` : undefined;
    };
    const sets = [`status = ${status}`, column('SENT'), column('DELIVERED'), column('READ')].filter(Boolean).join(', ');
    const expected = caseOf(
      moves.map((m) => [m.id, m.from]),
      params,
    );
    params.push(moves.map((m) => m.id));
    const [r] = await conn.query<ResultSetHeader>(`UPDATE messages SET ${sets} WHERE status = ${expected} AND message_id IN (?)`, params);
    // The rows are locked: anything else means a writer that does not lock, which is a bug.
    if (r.affectedRows !== moves.length) throw new Error(`status update matched ${r.affectedRows} of ${moves.length} messages`);
    await conn.query('INSERT IGNORE INTO message_transitions (message_id, status, at) VALUES ?', [hops.map((h) => [h.messageId, h.status, new Date(h.at)])]);
  }
  return { hops, unknown };
}

/**
 * Marks FAILED the messages whose delivery deadline is in (from, to] and that are still PENDING or
 * SENT (a batch of `limit`, oldest deadline first): one conditional UPDATE over the locked rows, in
 * the caller's transaction, which ticks them before its commit (see applyStatusReports).
 */
export async function expireDeadlines(
  conn: PoolConnection,
  window: { from: number; to: number; limit: number; now: number },
): Promise<{ hops: StatusHop[]; more: boolean }> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT message_id, conversation_id FROM messages WHERE deadline_at > ? AND deadline_at <= ? AND status IN ('PENDING', 'SENT')
     ORDER BY deadline_at, message_id LIMIT ? FOR UPDATE`,
    [new Date(window.from), new Date(window.to), window.limit],
  );
  if (rows.length === 0) return { hops: [], more: false };
  const hops: StatusHop[] = rows.map((r) => ({
    messageId: r.message_id as string,
    conversationId: r.conversation_id as string,
    status: 'FAILED',
    at: window.now,
  }));
  const ids = hops.map((h) => h.messageId);
  await conn.query(`UPDATE messages SET status = 'FAILED', failed_at = ? WHERE message_id IN (?) AND status IN ('PENDING', 'SENT')`, [
    new Date(window.now),
    ids,
  ]);
  await conn.query('INSERT IGNORE INTO message_transitions (message_id, status, at) VALUES ?', [hops.map((h) => [h.messageId, h.status, new Date(h.at)])]);
  return { hops, more: rows.length >= window.limit };
}

/** A message leaving through the outbox: what Kafka `messages` carries, plus its outbox row. */
export interface OutboxMessage {
  messageId: string;
  conversationId: string;
  organizationId: string;
  channel: ConnectorChannel;
  senderId: string;
  text: string;
}

/**
 * In the caller's transaction: claims outbox rows (these messages, or the oldest ones older than
 * `olderThan`; SKIP LOCKED, so the API's dispatch and the relay never block on or double-claim a
 * row) and reads their messages, in claim order. The caller arms their deadline and publishes
 * them, then records both with markDispatched before its commit: a failed send rolls the claim
 * back and the rows stay for the relay.
 */
export async function claimOutbox(
  conn: PoolConnection,
  which: { messageIds: string[] } | { olderThan: number; limit: number },
): Promise<{ outboxIds: number[]; messages: OutboxMessage[] }> {
  const [claimed] =
    'messageIds' in which
      ? await conn.query<RowDataPacket[]>('SELECT id, message_id FROM message_outbox WHERE message_id IN (?) ORDER BY id FOR UPDATE SKIP LOCKED', [
          which.messageIds,
        ])
      : await conn.query<RowDataPacket[]>('SELECT id, message_id FROM message_outbox WHERE created_at <= ? ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED', [
          new Date(which.olderThan),
          which.limit,
        ]);
  if (claimed.length === 0) return { outboxIds: [], messages: [] };
  const ids = claimed.map((r) => r.message_id as string);
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT m.message_id, m.conversation_id, m.sender_id, m.text, c.organization_id, c.channel
     FROM messages m JOIN conversations c USING (conversation_id) WHERE m.message_id IN (?)`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.message_id as string, r]));
  // Claim order is commit order, near enough: a conversation's messages leave in the order sent.
  const messages: OutboxMessage[] = ids.flatMap((id) => {
    const r = byId.get(id);
    return r
      ? [
          {
            messageId: id,
            conversationId: r.conversation_id as string,
            organizationId: r.organization_id as string,
            channel: r.channel as ConnectorChannel,
            senderId: r.sender_id as string,
            text: r.text as string,
          },
        ]
      : [];
  });
  return { outboxIds: claimed.map((r) => r.id as number), messages };
}

/** The claimed messages went to their channel with this deadline: recorded, and their outbox rows go. */
export async function markDispatched(conn: PoolConnection, claim: { outboxIds: number[]; messages: OutboxMessage[] }, deadlineAt: number): Promise<void> {
  if (claim.outboxIds.length === 0) return;
  if (claim.messages.length > 0) {
    await conn.query('UPDATE messages SET dispatched_at = COALESCE(dispatched_at, CURRENT_TIMESTAMP(3)), deadline_at = ? WHERE message_id IN (?)', [
      new Date(deadlineAt),
      claim.messages.map((m) => m.messageId),
    ]);
  }
  await conn.query('DELETE FROM message_outbox WHERE id IN (?)', [claim.outboxIds]);
}
