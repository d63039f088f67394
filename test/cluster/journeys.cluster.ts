// One flow of each journey on the production-shaped topology (TIDINGS_PROFILE=cluster): the real
// temporal-server on PostgreSQL, two worker processes sharing the task queue, two gateways sharing
// the Redis backplane, and the API with the consumers and simulators in a process of its own. The
// system runs in an environment of its own (provisioned here, removed at the end).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Client } from '@temporalio/client';
import { signToken } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';
import { newEphemeralEnv } from '../../platform/names';
import { ROOT, eventually, freePort, uniqueId } from '../support/context';
import { TestClient } from '../support/gateway';
import { conversationChannel, ledgerChannel, userChannel } from '../../contracts/channels';

const TEMPORAL_ADDRESS = `127.0.0.1:${process.env.TEMPORAL_CLUSTER_PORT ?? 7333}`;
type Json = Record<string, unknown>;

describe('the journeys on the cluster profile (temporal-server + PostgreSQL, 2 workers, 2 gateways)', () => {
  const env = newEphemeralEnv('test');
  const children: ChildProcess[] = [];
  const ports = { api: 0, gateways: [0, 0] };
  const baseEnv = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, TIDINGS_ENV: env, TEMPORAL_ADDRESS, LOG_LEVEL: 'warn', SELF_CHECK_ON_START: 'false' };
    delete e.MYSQL_DATABASE;
    delete e.TEMPORAL_TASK_QUEUE;
    return e;
  };
  const config = () => loadConfig(baseEnv());
  const provision = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'provision/cli.ts', ...args], { cwd: ROOT, env: baseEnv(), stdio: 'inherit' });
  const start = (name: string, extra: Record<string, string>) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
        cwd: ROOT,
        env: { ...baseEnv(), ...extra },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('Tidings is up') && resolve());
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
  const as =
    (user: string) =>
    async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://127.0.0.1:${ports.api}${path}`, {
        method,
        headers: { authorization: `Bearer ${await signToken(config(), user)}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
  /** A client of the second gateway: whatever reaches it came through the Redis backplane. */
  const subscriber = async (user: string, channel?: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.gateways[1]}/ws`, { headers: { authorization: `Bearer ${await signToken(config(), user)}` } });
    const c = new TestClient(ws);
    await c.opened;
    await c.next('subscribed');
    if (channel) {
      c.send({ type: 'subscribe', channel });
      await c.next('subscribed', channel);
    }
    return { c, close: () => ws.terminate() };
  };

  beforeAll(async () => {
    provision();
    [ports.api, ports.gateways[0], ports.gateways[1]] = [await freePort(), await freePort(), await freePort()];
    await Promise.all([
      start('worker-1', { TIDINGS_ROLES: 'worker' }),
      start('worker-2', { TIDINGS_ROLES: 'worker' }),
      start('gateway-1', { TIDINGS_ROLES: 'gateway', GATEWAY_PORT: String(ports.gateways[0]) }),
      start('gateway-2', { TIDINGS_ROLES: 'gateway', GATEWAY_PORT: String(ports.gateways[1]) }),
      start('edge', { TIDINGS_ROLES: 'api,consumers,simulators', API_PORT: String(ports.api), GATEWAY_PORT: String(ports.gateways[0]) }),
    ]);
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    provision('--teardown');
  });

  it('runs on the real temporal-server: both workers poll the task queue', async () => {
    const connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
    try {
      const client = new Client({ connection });
      const info = await client.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^1\.32\./);
      await eventually(async () => {
        const pollers = await client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: config().TEMPORAL_TASK_QUEUE },
          taskQueueType: 1, // workflow
        });
        return new Set(pollers.pollers?.map((p) => p.identity)).size >= 2;
      }, 30_000);
    } finally {
      await connection.close();
    }
  });

  it('purchase: COMPLETED reaches the buyer on the other gateway', async () => {
    const buyer = uniqueId('buyer');
    const { c, close } = await subscriber(buyer);
    try {
      const made = await as(buyer)('POST', '/purchases', { productId: 'gift-card-100', quantity: 1, installments: 1 }, { 'idempotency-key': randomUUID() });
      expect(made.status).toBe(202);
      const id = String(made.body.purchaseId);
      await c.until(() => c.of('event', userChannel(buyer)).some((e) => (e.data as Json).purchaseId === id && (e.data as Json).status === 'COMPLETED'), 60_000);
    } finally {
      close();
    }
  });

  it('event fan-out: the trail completes', async () => {
    const user = uniqueId('publisher');
    const made = await as(user)('POST', '/events', { type: 'cluster.check', payload: { n: 1 } }, { 'idempotency-key': randomUUID() });
    expect(made.status).toBe(202);
    await eventually(async () => (await as(user)('GET', `/events/${String(made.body.eventId)}`)).body.complete === true, 60_000);
  });

  it('ledger: a posted entry is consolidated and its balance pushed over the other gateway', async () => {
    const merchant = uniqueId('merchant');
    const { c, close } = await subscriber(merchant, ledgerChannel(merchant));
    try {
      const day = new Date().toISOString().slice(0, 10);
      const made = await as(merchant)('POST', '/ledger/entries', { type: 'credit', amount: '12.34', currency: 'BRL', description: 'cluster', occurredAt: day });
      expect(made.status).toBe(201);
      await c.until(() => c.of('event', ledgerChannel(merchant)).length > 0, 60_000);
      const balances = await as(merchant)('GET', `/ledger/balances/daily?date=${day}`);
      expect(JSON.stringify(balances.body.days)).toContain('12.34');
    } finally {
      close();
    }
  });

  it('scheduled notification: delivered to the user’s live connection on the other gateway at its time', async () => {
    const user = uniqueId('reader');
    const { c, close } = await subscriber(user);
    try {
      expect((await as(user)('PUT', `/users/${user}/notification-preferences`, { timezone: 'UTC', channels: ['web'] })).status).toBe(200);
      const id = uniqueId('n');
      const sendAt = new Date(Date.now() + 2_000).toISOString();
      const made = await as(user)('POST', '/notifications', { notificationId: id, userId: user, channel: 'web', sendAt, title: 'cluster', body: 'hello' });
      expect(made.status).toBeLessThan(300);
      await c.until(() => JSON.stringify(c.of('event', userChannel(user))).includes(id), 60_000);
    } finally {
      close();
    }
  });

  it('chat: a message is DELIVERED, ticked to the member on the other gateway', async () => {
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    expect((await as(bob)('GET', '/conversations')).status).toBe(200); // a known user
    const conv = await as(alice)('POST', '/conversations', { organizationId: 'org-1', channel: 'whatsapp', members: [bob] });
    expect(conv.status).toBe(201);
    const channel = conversationChannel(String(conv.body.conversationId));
    const { c, close } = await subscriber(bob, channel);
    try {
      const sent = await as(alice)('POST', `/conversations/${String(conv.body.conversationId)}/messages`, { clientMessageId: 'c1', text: 'on the cluster' });
      expect(sent.status).toBe(202);
      const messageId = sent.body.messageId;
      await c.until(() => c.of('event', channel).some((e) => (e.data as Json).messageId === messageId && (e.data as Json).status === 'DELIVERED'), 60_000);
    } finally {
      close();
    }
  });
});
