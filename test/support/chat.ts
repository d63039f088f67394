// What the chat tests read back: message statuses from MySQL and the ticks a member's socket saw.
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { WebSocket } from 'ws';
import { createApiApp } from '../../api/app';
import { startMessageStatusConsumer } from '../../consumers/message-status';
import { startGateway } from '../../gateway/server';
import type { Context } from '../../runtime/context';
import { conversationAuthorizer } from '../../services/conversation-channel';
import { startConnectorSimulators } from '../../simulators/connectors';
import { startWorker } from '../../worker';
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

/**
 * The chat journey in this process over `ctx`: the API app, the gateway, the worker, the status
 * consumer and the connector simulators, ready. `stopSimulators` lets a test play the channel
 * itself from then on; `stop` stops what is still running (errors of a half-dead server ignored).
 */
export async function startChatInProcess(ctx: Context) {
  const app = createApiApp(ctx);
  const gatewayUrl = await startGateway(ctx, { conversation: conversationAuthorizer(ctx) });
  await startWorker(ctx);
  const [statusConsumer, sims] = await Promise.all([
    startMessageStatusConsumer(ctx, { fromBeginning: true }),
    startConnectorSimulators(ctx, { fromBeginning: true }),
  ]);
  await Promise.all([statusConsumer.ready, sims.ready]);
  let simulators: typeof sims | undefined = sims;
  const stopSimulators = async () => {
    const running = simulators;
    simulators = undefined;
    await running?.stop();
  };
  return {
    app,
    gatewayUrl,
    stopSimulators,
    async stop() {
      await stopSimulators().catch(() => undefined);
      await statusConsumer.stop().catch(() => undefined);
    },
  };
}
