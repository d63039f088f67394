// MySQL access for chat: conversations, membership, messages and their status transitions.
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
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
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM conversations WHERE conversation_id = ?', [conversationId]);
  if (!rows[0]) return undefined;
  const [members] = await pool.query<RowDataPacket[]>('SELECT user_id FROM conversation_members WHERE conversation_id = ? ORDER BY user_id', [conversationId]);
  return {
    conversationId,
    organizationId: rows[0].organization_id as string,
    channel: rows[0].channel as ConnectorChannel,
    members: members.map((m) => m.user_id as string),
  };
}

/** The conversations a user belongs to, newest first. */
export async function conversationsOf(
  pool: Pool,
  userId: string,
  limit = 50,
): Promise<{ conversationId: string; organizationId: string; channel: ConnectorChannel; createdAt: string }[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT c.* FROM conversations c JOIN conversation_members m USING (conversation_id) WHERE m.user_id = ? ORDER BY c.created_at DESC LIMIT ?`,
    [userId, limit],
  );
  return rows.map((r) => ({
    conversationId: r.conversation_id as string,
    organizationId: r.organization_id as string,
    channel: r.channel as ConnectorChannel,
    createdAt: (r.created_at as Date).toISOString(),
  }));
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

/** Inserts the message unless the sender already sent this client message id; returns the stored one. */
export async function insertMessage(
  pool: Pool,
  m: { messageId: string; conversationId: string; senderId: string; clientMessageId: string; text: string },
): Promise<{ message: MessageView; created: boolean }> {
  const [r] = await pool.query<ResultSetHeader>(
    "INSERT IGNORE INTO messages (message_id, conversation_id, sender_id, client_message_id, text, status, created_at) VALUES (?, ?, ?, ?, ?, 'PENDING', CURRENT_TIMESTAMP(3))",
    [m.messageId, m.conversationId, m.senderId, m.clientMessageId, m.text],
  );
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ?', [
    m.conversationId,
    m.senderId,
    m.clientMessageId,
  ]);
  return { message: toView(rows[0]!), created: r.affectedRows === 1 };
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

/** Persists one transition once (a retry keeps the first); the message row shows the latest. */
export async function recordTransition(pool: Pool, messageId: string, status: Exclude<MessageStatus, 'PENDING'>, at: number): Promise<boolean> {
  return inTransaction(pool, async (conn) => {
    const [r] = await conn.query<ResultSetHeader>('INSERT IGNORE INTO message_transitions (message_id, status, at) VALUES (?, ?, ?)', [
      messageId,
      status,
      new Date(at),
    ]);
    // The row's status only moves forward (FAILED only from before DELIVERED), whatever arrives.
    await conn.query(
      `UPDATE messages SET ${COLUMN[status]} = COALESCE(${COLUMN[status]}, ?),
         status = IF(FIELD(?, 'PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED') > FIELD(status, 'PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED')
                     AND NOT (? = 'FAILED' AND status IN ('DELIVERED', 'READ')), ?, status)
       WHERE message_id = ?`,
      [new Date(at), status, status, status, messageId],
    );
    return r.affectedRows === 1;
  });
}

export async function transitionsOf(pool: Pool, messageIds: string[]): Promise<{ messageId: string; status: MessageStatus }[]> {
  if (messageIds.length === 0) return [];
  const [rows] = await pool.query<RowDataPacket[]>('SELECT message_id, status FROM message_transitions WHERE message_id IN (?)', [messageIds]);
  return rows.map((r) => ({ messageId: r.message_id as string, status: r.status as MessageStatus }));
}
