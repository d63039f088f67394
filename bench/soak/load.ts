// The load: all five journeys at once, each at its own steady rate (open loop: an operation starts
// on time whether or not earlier ones finished, up to a cap on those in flight), and what each
// accepted item is expected to end as, for the invariants.
import { randomUUID } from 'node:crypto';
import { signToken } from '../../platform/auth/jwt';
import type { Config } from '../../platform/config';
import type { SoakClient } from './client';
import { JOURNEYS, type Journey } from './options';
import type { Random } from './random';

export interface Accepted {
  /** purchaseId → whether a cancel was answered CANCELLED (then CANCELLED is the only right end). */
  purchases: Map<string, { user: string; cancelled: boolean }>;
  events: Set<string>;
  /** messageId → its conversation; `read`: a read receipt covering it was answered 200. */
  messages: Map<string, { conversationId: string; read: boolean }>;
  /** entryId → what was posted. */
  ledger: Map<string, { merchant: string; day: string; cents: number; type: 'credit' | 'debit' }>;
  /** notificationId → whether a cancel was answered 200, and the send time last accepted. */
  notifications: Map<string, { user: string; channel: string; cancelled: boolean; sendAt: number; rescheduled: boolean }>;
}

export interface LoadStats {
  started: Record<Journey, number>;
  /** Operations whose first request never got an answer before the retry deadline (outcome unknown). */
  unknown: Record<Journey, number>;
  /** Operations not started because too many were in flight (the rate was not reached). */
  shed: Record<Journey, number>;
  /** Follow-ups: cancels, read receipts, reschedules, by outcome. */
  followUps: Record<string, number>;
}

const zero = () => Object.fromEntries(JOURNEYS.map((j) => [j, 0])) as Record<Journey, number>;

/**
 * `inFlightSeconds`: each journey may have this many seconds of its rate in flight (retrying through
 * an outage) before new operations are not started; separate per journey, so that cancels waiting
 * on a slow run do not stop ledger posts.
 */
export async function createLoad(client: SoakClient, config: Config, random: Random, { users = 100, inFlightSeconds = 120 } = {}) {
  const accepted: Accepted = { purchases: new Map(), events: new Set(), messages: new Map(), ledger: new Map(), notifications: new Map() };
  const stats: LoadStats = { started: zero(), unknown: zero(), shed: zero(), followUps: {} };
  const names = Array.from({ length: users }, (_, i) => `soak-u${i}`);
  const tokens = new Map<string, string>();
  for (const u of names) tokens.set(u, await signToken(config, u, { ttlSeconds: 12 * 3600 }));
  const token = (u: string) => tokens.get(u)!;
  const follow = (what: string) => (stats.followUps[what] = (stats.followUps[what] ?? 0) + 1);
  const inFlight = new Set<Promise<unknown>>();
  const inFlightOf = zero();
  const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
  const later = (ms: number, fn: () => Promise<void>) => track(new Promise<void>((resolve) => setTimeout(() => void fn().finally(resolve), ms)));
  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  }

  // Set-up, before any fault: every user known to the API with notification preferences, and a
  // conversation between each pair of neighbours.
  const conversations: { id: string; members: [string, string] }[] = [];
  const inBatches = async <T>(items: T[], each: (item: T, i: number) => Promise<void>) => {
    for (let i = 0; i < items.length; i += 10) await Promise.all(items.slice(i, i + 10).map((item, j) => each(item, i + j)));
  };
  await inBatches(names, async (u) => {
    const known = await client.send({ method: 'GET', path: '/conversations', route: 'GET /conversations', token: token(u) });
    const prefs = await client.send({
      method: 'PUT',
      path: `/users/${u}/notification-preferences`,
      route: 'PUT /users/:id/notification-preferences',
      token: token(u),
      body: { timezone: 'UTC', channels: ['web', 'email'], quietHours: null, mutedUntil: null },
    });
    if (known?.status !== 200 || prefs?.status !== 200) throw new Error(`set-up of ${u} failed: ${known?.status} ${prefs?.status}`);
  });
  await inBatches(names, async (_, i) => {
    const members: [string, string] = [names[i]!, names[(i + 1) % names.length]!];
    const res = await client.send<{ conversationId: string }>({
      method: 'POST',
      path: '/conversations',
      route: 'POST /conversations',
      token: token(members[0]),
      body: { organizationId: 'soak', channel: i % 2 ? 'instagram' : 'whatsapp', members: [members[1]] },
    });
    if (res?.status !== 201) throw new Error(`set-up: conversation ${members.join('/')} answered ${res?.status}: ${JSON.stringify(res?.body)}`);
    conversations.push({ id: res.body.conversationId, members });
  });

  const journeys: Record<Journey, () => Promise<void>> = {
    async purchases() {
      const user = random.pick(names);
      const cancel = random.chance(0.2);
      const cancelAfter = random.between(100, 2_500);
      const res = await client.send<{ purchaseId: string }>({
        method: 'POST',
        path: '/purchases',
        route: 'POST /purchases',
        token: token(user),
        idempotencyKey: randomUUID(),
        body: { productId: random.pick(['phone-x', 'gift-card-100', 'insurance-home']), quantity: 1, installments: 1 },
      });
      if (!res) return void stats.unknown.purchases++;
      if (res.status !== 202) return void follow(`purchase refused ${res.status}`);
      const item = { user, cancelled: false };
      accepted.purchases.set(res.body.purchaseId, item);
      if (!cancel) return;
      await later(cancelAfter, async () => {
        const c = await client.send<{ status: string }>({
          method: 'POST',
          path: `/purchases/${res.body.purchaseId}/cancel`,
          route: 'POST /purchases/:id/cancel',
          token: token(user),
          body: { reason: 'soak' },
        });
        follow(`purchase cancel ${c ? `${c.status}${c.status === 200 ? ` ${c.body.status}` : ''}` : 'unknown'}`);
        if (c?.status === 200 && c.body.status === 'CANCELLED') item.cancelled = true;
      });
    },
    async events() {
      const user = random.pick(names);
      const res = await client.send<{ eventId: string }>({
        method: 'POST',
        path: '/events',
        route: 'POST /events',
        token: token(user),
        idempotencyKey: randomUUID(),
        body: { type: 'soak.tick', payload: { at: Date.now() } },
      });
      if (!res) return void stats.unknown.events++;
      if (res.status !== 202) return void follow(`event refused ${res.status}`);
      accepted.events.add(res.body.eventId);
    },
    async messages() {
      const conversation = random.pick(conversations);
      const [sender, reader] = random.chance(0.5) ? conversation.members : ([conversation.members[1], conversation.members[0]] as const);
      const read = random.chance(0.5);
      const readAfter = random.between(500, 5_000);
      const res = await client.send<{ messageId: string }>({
        method: 'POST',
        path: `/conversations/${conversation.id}/messages`,
        route: 'POST /conversations/:id/messages',
        token: token(sender),
        body: { clientMessageId: randomUUID(), text: 'soak' },
      });
      if (!res) return void stats.unknown.messages++;
      if (res.status !== 202) return void follow(`message refused ${res.status}`);
      const item = { conversationId: conversation.id, read: false };
      accepted.messages.set(res.body.messageId, item);
      if (!read) return;
      await later(readAfter, async () => {
        const r = await client.send<{ marked: number }>({
          method: 'POST',
          path: `/conversations/${conversation.id}/read`,
          route: 'POST /conversations/:id/read',
          token: token(reader),
          body: { upToMessageId: res.body.messageId },
        });
        follow(`read ${r ? r.status : 'unknown'}`);
        if (r?.status === 200) item.read = true;
      });
    },
    async ledger() {
      const merchant = random.pick(names);
      const type = random.chance(0.6) ? 'credit' : 'debit';
      const cents = Math.floor(random.between(1, 100_000));
      // One in ten for yesterday: a day already past closes during the run (LEDGER_CLOSE_GRACE_MS).
      const occurredAt = day(random.chance(0.1) ? -1 : 0);
      const res = await client.send<{ entryId: string }>({
        method: 'POST',
        path: '/ledger/entries',
        route: 'POST /ledger/entries',
        token: token(merchant),
        idempotencyKey: randomUUID(),
        body: { type, amount: (cents / 100).toFixed(2), currency: 'BRL', description: 'soak', occurredAt },
      });
      if (!res) return void stats.unknown.ledger++;
      if (res.status !== 201) return void follow(`ledger refused ${res.status}`);
      accepted.ledger.set(res.body.entryId, { merchant, day: occurredAt, cents, type });
    },
    async notifications() {
      const user = random.pick(names);
      const notificationId = randomUUID();
      const channel = random.chance(0.7) ? 'web' : 'email';
      const sendAt = Date.now() + random.between(5_000, 40_000);
      const change = random.chance(0.3) ? (random.chance(0.5) ? 'cancel' : 'reschedule') : undefined;
      const changeAfter = random.between(500, 4_000);
      const moveBy = random.between(2_000, 20_000);
      const res = await client.send({
        method: 'POST',
        path: '/notifications',
        route: 'POST /notifications',
        token: token(user),
        body: { notificationId, userId: user, channel, sendAt: new Date(sendAt).toISOString(), title: 'soak', body: 'soak' },
      });
      if (!res) return void stats.unknown.notifications++;
      if (res.status !== 202) return void follow(`notification refused ${res.status}`);
      const item = { user, channel, cancelled: false, sendAt, rescheduled: false };
      accepted.notifications.set(notificationId, item);
      if (!change) return;
      await later(changeAfter, async () => {
        const to = item.sendAt + moveBy;
        const r = await client.send(
          change === 'cancel'
            ? { method: 'DELETE', path: `/notifications/${notificationId}`, route: 'DELETE /notifications/:id', token: token(user) }
            : {
                method: 'PATCH',
                path: `/notifications/${notificationId}`,
                route: 'PATCH /notifications/:id',
                token: token(user),
                body: { sendAt: new Date(to).toISOString() },
              },
        );
        follow(`notification ${change} ${r ? r.status : 'unknown'}`);
        if (r?.status === 200 && change === 'cancel') item.cancelled = true;
        if (r?.status === 200 && change === 'reschedule') Object.assign(item, { sendAt: to, rescheduled: true });
      });
    },
  };

  let timer: NodeJS.Timeout | undefined;
  return {
    accepted,
    stats,
    users: names,
    conversations,
    /** Starts every journey at its rate (operations per second). */
    start(rates: Record<Journey, number>): void {
      const began = Date.now();
      const launched = zero();
      timer = setInterval(() => {
        const elapsed = (Date.now() - began) / 1000;
        for (const j of JOURNEYS) {
          const due = Math.floor(elapsed * rates[j]) - launched[j];
          for (let i = 0; i < due; i++) {
            launched[j]++;
            if (inFlightOf[j] >= Math.max(50, rates[j] * inFlightSeconds)) {
              stats.shed[j]++;
              continue;
            }
            stats.started[j]++;
            inFlightOf[j]++;
            void track(
              journeys[j]()
                .catch((err: unknown) => follow(`${j} error ${(err as Error).message}`))
                .finally(() => inFlightOf[j]--),
            );
          }
        }
      }, 50);
    },
    /** No new operations; resolves when every operation in flight (and its follow-ups) finished. */
    async stop(): Promise<void> {
      clearInterval(timer);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
export type Load = Awaited<ReturnType<typeof createLoad>>;
