// What the chat tests read back: message statuses from MySQL and the ticks a member's socket saw.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { WebSocket } from 'ws';
import { TestClient } from './gateway';

export async function messageStatuses(mysql: Pool, ids: string[]): Promise<Map<string, string>> {
  const [rows] = await mysql.query<RowDataPacket[]>('SELECT message_id, status FROM messages WHERE message_id IN (?)', [ids]);
  return new Map(rows.map((r) => [r.message_id as string, r.status as string]));
}

/** The statuses ticked for one message on a channel, in arrival order. */
export const ticksOf = (c: TestClient, channel: string, messageId: string): string[] =>
  c
    .of('event', channel)
    .filter((e) => (e.data as { messageId: string }).messageId === messageId)
    .map((e) => (e.data as { status: string }).status);

/** A gateway connection with `token`, subscribed to `channel`; the socket is added to `sockets` for cleanup. */
export async function subscribedClient(gatewayUrl: string, token: string, channel: string, sockets: WebSocket[]): Promise<TestClient> {
  const ws = new WebSocket(gatewayUrl, { headers: { authorization: `Bearer ${token}` } });
  sockets.push(ws);
  const c = new TestClient(ws);
  await c.opened;
  await c.next('subscribed');
  c.send({ type: 'subscribe', channel });
  await c.next('subscribed', channel);
  return c;
}
