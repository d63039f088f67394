// The invariants checked at the end, from the stores, the brokers, the gateway's history and
// Temporal. `settled` ones are polled until they hold (the system finishing its work after the
// load stops); the others are read once.
import { GetQueueUrlCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { RowDataPacket } from 'mysql2/promise';
import { EVENT_TRAIL_EVENT } from '../../contracts/events';
import { DAY_CLOSE_WORKFLOW, dayCloseWorkflowId } from '../../contracts/ledger';
import { MESSAGE_STATUS_EVENT } from '../../contracts/messages';
import { PURCHASE_STATUS_EVENT, purchaseWorkflowId } from '../../contracts/purchase';
import { conversationChannel, userChannel } from '../../contracts/channels';
import { FINAL_STATUSES } from '../../domain/purchase-status';
import { storedEvent } from '../../gateway/history';
import { createSqs } from '../../platform/clients/aws';
import { createKafka } from '../../platform/clients/kafka';
import { createMysqlPool } from '../../platform/clients/mysql';
import { closeRedis, createRedis } from '../../platform/clients/redis';
import { connectTemporal, createTemporalClient } from '../../platform/clients/temporal';
import type { Config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { namesOf } from '../../platform/names';
import type { ClientStats } from './client';
import type { Accepted } from './load';

export interface Check {
  name: string;
  ok: boolean;
  /** What was checked, with figures. */
  detail: string;
  /** The first few offenders, for the report. */
  examples: string[];
}

const sample = (items: Iterable<string>, n = 5) => [...items].slice(0, n);
const inList = (ids: string[]) => (ids.length ? ids.map(() => '?').join(',') : 'NULL');

export function createChecker(config: Config) {
  const log = createLogger('silent', { component: 'soak-check' });
  const mysql = createMysqlPool(config, { connectionLimit: 2 });
  const redis = createRedis(config, log, 'soak-check');
  const kafka = createKafka(config, log);
  const sqs = createSqs(config);
  const names = namesOf(config);
  let temporal: Awaited<ReturnType<typeof connectTemporal>> | undefined;
  const client = async () => createTemporalClient(config, (temporal ??= await connectTemporal(config)));

  async function rows(sql: string, args: unknown[] = []): Promise<RowDataPacket[]> {
    const [r] = await mysql.query<RowDataPacket[]>(sql, args);
    return r;
  }
  async function statuses(table: string, idColumn: string, ids: string[]): Promise<Map<string, RowDataPacket>> {
    const out = new Map<string, RowDataPacket>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      for (const r of await rows(`SELECT * FROM ${table} WHERE ${idColumn} IN (${inList(chunk)})`, chunk)) out.set(String(r[idColumn]), r);
    }
    return out;
  }
  const tally = (values: Iterable<string>) => {
    const t = new Map<string, number>();
    for (const v of values) t.set(v, (t.get(v) ?? 0) + 1);
    return [...t].map(([k, n]) => `${k} ${n}`).join(', ');
  };

  /** Every accepted item reached one final state; the ledger adds up; no run is left that should have ended. */
  async function settledChecks(a: Accepted): Promise<Check[]> {
    const checks: Check[] = [];

    const purchases = await statuses('purchases', 'purchase_id', [...a.purchases.keys()]);
    const badPurchases = [...a.purchases].filter(([id, p]) => {
      const s = purchases.get(id)?.status as string | undefined;
      return !s || !FINAL_STATUSES.includes(s as never) || (p.cancelled && s !== 'CANCELLED');
    });
    checks.push({
      name: 'purchases: every accepted purchase ended in one final status (a cancel answered CANCELLED ended CANCELLED)',
      ok: badPurchases.length === 0,
      detail: `${a.purchases.size} accepted: ${tally([...purchases.values()].map((r) => String(r.status)))}`,
      examples: badPurchases
        .map(([id, p]) => `${id}: ${String(purchases.get(id)?.status ?? 'missing')}${p.cancelled ? ' (cancel answered CANCELLED)' : ''}`)
        .slice(0, 5),
    });

    const eventIds = [...a.events];
    const events = await statuses('events', 'event_id', eventIds);
    const [storedB, storedC] = [await statuses('event_store_b', 'event_id', eventIds), await statuses('event_store_c', 'event_id', eventIds)];
    const badEvents = eventIds.filter((id) => events.get(id)?.status !== 'COMPLETED' || !storedB.has(id) || !storedC.has(id));
    checks.push({
      name: 'events: every accepted event COMPLETED, stored once by consumer B and once by consumer C',
      ok: badEvents.length === 0,
      detail: `${eventIds.length} accepted: ${tally([...events.values()].map((r) => String(r.status)))}; stored by B ${storedB.size}, by C ${storedC.size}`,
      examples: badEvents.map((id) => `${id}: ${String(events.get(id)?.status ?? 'missing')}, B ${storedB.has(id)}, C ${storedC.has(id)}`).slice(0, 5),
    });

    const messages = await statuses('messages', 'message_id', [...a.messages.keys()]);
    const badMessages = [...a.messages].filter(([id, m]) => {
      const s = String(messages.get(id)?.status ?? 'missing');
      return !['DELIVERED', 'READ', 'FAILED'].includes(s) || (m.read && s === 'DELIVERED');
    });
    checks.push({
      name: 'messages: every accepted message ended DELIVERED, READ or FAILED (READ once its receipt was answered)',
      ok: badMessages.length === 0,
      detail: `${a.messages.size} accepted: ${tally([...messages.values()].map((r) => String(r.status)))}`,
      examples: badMessages.map(([id]) => `${id}: ${String(messages.get(id)?.status ?? 'missing')}`).slice(0, 5),
    });

    const notifications = await statuses('notifications', 'notification_id', [...a.notifications.keys()]);
    const badNotifications = [...a.notifications].filter(([id, n]) => {
      const s = String(notifications.get(id)?.status ?? 'missing');
      return n.cancelled ? s !== 'CANCELLED' : !['SENT', 'FAILED'].includes(s);
    });
    checks.push({
      name: 'notifications: every accepted notification SENT (or FAILED with its reason), CANCELLED when its cancel was answered 200',
      ok: badNotifications.length === 0,
      detail: `${a.notifications.size} accepted (${[...a.notifications.values()].filter((n) => n.rescheduled).length} rescheduled): ${tally(
        [...notifications.values()].map((r) => String(r.status)),
      )}`,
      examples: badNotifications
        .map(([id, n]) => `${id}: ${String(notifications.get(id)?.status ?? 'missing')}${n.cancelled ? ' (cancelled)' : ''}`)
        .slice(0, 5),
    });

    const entries = await statuses('ledger_entries', 'entry_id', [...a.ledger.keys()]);
    const unapplied = await rows(
      'SELECT e.entry_id FROM ledger_entries e LEFT JOIN ledger_outbox o ON o.entry_id = e.entry_id WHERE o.applied_at IS NULL LIMIT 5',
    );
    const badEntries = [...a.ledger].filter(([id, e]) => {
      const r = entries.get(id);
      const day = r ? (r.occurred_on instanceof Date ? r.occurred_on.toISOString().slice(0, 10) : String(r.occurred_on)) : '';
      return !r || Number(r.amount_cents) !== e.cents || r.type !== e.type || r.merchant_id !== e.merchant || day !== e.day;
    });
    const mismatched = await rows(
      `SELECT s.merchant_id, s.day, s.credits, s.debits, s.n, b.credits_cents, b.debits_cents, b.entry_count
       FROM (SELECT merchant_id, occurred_on AS day, currency,
                    SUM(IF(type = 'credit', amount_cents, 0)) AS credits, SUM(IF(type = 'debit', amount_cents, 0)) AS debits, COUNT(*) AS n
             FROM ledger_entries GROUP BY merchant_id, occurred_on, currency) s
       LEFT JOIN daily_balances b ON b.merchant_id = s.merchant_id AND b.day = s.day AND b.currency = s.currency
       WHERE b.merchant_id IS NULL OR b.credits_cents <> s.credits OR b.debits_cents <> s.debits OR b.entry_count <> s.n`,
    );
    const days = await rows('SELECT COUNT(*) AS n FROM daily_balances');
    checks.push({
      name: "ledger: every accepted entry stored as posted and applied once; each day's balance = the sum of its entries",
      ok: badEntries.length === 0 && unapplied.length === 0 && mismatched.length === 0,
      detail: `${a.ledger.size} accepted entries over ${Number(days[0]?.n)} merchant-days; ${badEntries.length} not as posted, ${unapplied.length ? 'some' : 0} unapplied, ${mismatched.length} days off`,
      examples: [
        ...badEntries.map(([id]) => `entry ${id}: ${entries.has(id) ? 'differs' : 'missing'}`),
        ...unapplied.map((r) => `entry ${String(r.entry_id)} not applied`),
        ...mismatched.map(
          (r) =>
            `${String(r.merchant_id)} ${String(r.day)}: entries ${String(r.credits)}/${String(r.debits)}/${String(r.n)}, balance ${String(r.credits_cents)}/${String(r.debits_cents)}/${String(r.entry_count)}`,
        ),
      ].slice(0, 5),
    });

    // Days before today (UTC, every merchant's zone) close once: one dayClose run, completed, and the day stamped closed.
    const pastDays = await rows('SELECT merchant_id, DATE_FORMAT(day, "%Y-%m-%d") AS day, closed_at FROM daily_balances WHERE day < UTC_DATE()');
    const t = await client();
    const closeRuns = new Map<string, string[]>();
    for await (const w of t.workflow.list({ query: `WorkflowType = '${DAY_CLOSE_WORKFLOW}'` }))
      closeRuns.set(w.workflowId, [...(closeRuns.get(w.workflowId) ?? []), w.status.name]);
    const badDays = pastDays.filter((d) => {
      const runs = closeRuns.get(dayCloseWorkflowId(config.TIDINGS_ENV, String(d.merchant_id), String(d.day))) ?? [];
      return d.closed_at === null || runs.length !== 1 || runs[0] !== 'COMPLETED';
    });
    checks.push({
      name: 'ledger: each past day closed once (one dayClose run, completed; the day stamped closed)',
      ok: badDays.length === 0,
      detail: `${pastDays.length} past merchant-days, ${pastDays.filter((d) => d.closed_at !== null).length} closed; dayClose runs: ${tally([...closeRuns.values()].flat())}`,
      examples: badDays
        .map(
          (d) =>
            `${String(d.merchant_id)} ${String(d.day)}: closed ${d.closed_at !== null}, runs ${(closeRuns.get(dayCloseWorkflowId(config.TIDINGS_ENV, String(d.merchant_id), String(d.day))) ?? []).join('/') || 'none'}`,
        )
        .slice(0, 5),
    });

    // Runs that should have ended: every purchase and event run; every timer bucket whose fire time is a minute past.
    const overdue: string[] = [];
    let running = 0;
    for await (const w of t.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
      running++;
      const fireAt = Number(/-(\d{13})$/.exec(w.workflowId)?.[1] ?? NaN);
      // A day close waits for the merchant's midnight (plus the grace): only a past day's is overdue.
      const day = w.type === DAY_CLOSE_WORKFLOW ? /-(\d{4}-\d{2}-\d{2})$/.exec(w.workflowId)?.[1] : undefined;
      const pastDay = day !== undefined && day < new Date().toISOString().slice(0, 10);
      if (['purchase', 'eventFanOut'].includes(w.type) || pastDay || (Number.isFinite(fireAt) && fireAt < Date.now() - 60_000))
        overdue.push(`${w.type} ${w.workflowId}`);
    }
    checks.push({
      name: 'temporal: no run left running that should have ended (purchases, events, closes of past days, buckets past their time)',
      ok: overdue.length === 0,
      detail: `${running} running (relays, future buckets, closes of today), ${overdue.length} overdue`,
      examples: sample(overdue),
    });
    return checks;
  }

  /**
   * How long accepted purchases took to their first status (PENDING: the run started and its first
   * task done) and to their final one, from the purchase timeline; and, for the slowest to start,
   * what its run's history says (started late, or its first workflow task retried: Temporal backs
   * a failing workflow task off up to 10 minutes). Not an invariant: what a customer waited.
   */
  async function purchaseTimings(a: Accepted): Promise<string[]> {
    const ids = [...a.purchases.keys()];
    const toPending: { id: string; ms: number }[] = [];
    const toFinal: number[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const found = await rows(
        `SELECT r.purchase_id AS id,
                TIMESTAMPDIFF(MICROSECOND, r.at, MIN(CASE WHEN t.status = 'PENDING' THEN t.at END)) / 1000 AS pending_ms,
                TIMESTAMPDIFF(MICROSECOND, r.at, MAX(CASE WHEN t.status IN (${inList([...FINAL_STATUSES])}) THEN t.at END)) / 1000 AS final_ms
           FROM purchase_timeline r JOIN purchase_timeline t ON t.purchase_id = r.purchase_id
          WHERE r.status = 'RECEIVED' AND r.purchase_id IN (${inList(chunk)})
          GROUP BY r.purchase_id, r.at`,
        [...FINAL_STATUSES, ...chunk],
      );
      for (const r of found) {
        if (r.pending_ms !== null) toPending.push({ id: String(r.id), ms: Number(r.pending_ms) });
        if (r.final_ms !== null) toFinal.push(Number(r.final_ms));
      }
    }
    if (toPending.length === 0) return ['no purchase reached PENDING'];
    toPending.sort((x, y) => x.ms - y.ms);
    toFinal.sort((x, y) => x - y);
    const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const pendingMs = toPending.map((p) => p.ms);
    const lines = [
      `- accepted → PENDING (${pendingMs.length} purchases): p50 ${seconds(at(pendingMs, 0.5))}, p99 ${seconds(at(pendingMs, 0.99))}, max ${seconds(pendingMs.at(-1)!)}; over a minute: ${pendingMs.filter((ms) => ms > 60_000).length}`,
      `- accepted → final status (${toFinal.length}): p50 ${seconds(at(toFinal, 0.5))}, p99 ${seconds(at(toFinal, 0.99))}, max ${seconds(toFinal.at(-1)!)}`,
    ];
    for (const slow of toPending.slice(-3).reverse()) lines.push(`- slow to start: ${slow.id}, ${seconds(slow.ms)}: ${await runStory(slow.id)}`);
    return lines;
  }

  /** When a purchase's run started and how its first workflow task went, from its history. */
  async function runStory(purchaseId: string): Promise<string> {
    try {
      const history = await (await client()).workflow.getHandle(purchaseWorkflowId(config.TIDINGS_ENV, purchaseId)).fetchHistory();
      const events = history.events ?? [];
      const time = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
      const startedAt = events[0] ? time(events[0]) : NaN;
      const firstDone = events.find((e) => e.workflowTaskCompletedEventAttributes);
      const timedOut = events.filter((e) => e.workflowTaskTimedOutEventAttributes).length;
      const failed = events.filter((e) => e.workflowTaskFailedEventAttributes).length;
      const attempts = events.filter((e) => e.workflowTaskScheduledEventAttributes).map((e) => Number(e.workflowTaskScheduledEventAttributes!.attempt ?? 1));
      const [received] = await rows("SELECT at FROM purchase_timeline WHERE purchase_id = ? AND status = 'RECEIVED'", [purchaseId]);
      const receivedAt = received ? new Date(received.at as string).getTime() : NaN;
      return [
        `run started ${seconds(startedAt - receivedAt)} after the accept`,
        firstDone ? `first workflow task done ${seconds(time(firstDone) - startedAt)} after the start` : 'no workflow task done',
        `workflow tasks timed out ${timedOut}, failed ${failed}, highest attempt ${Math.max(0, ...attempts)}`,
      ].join('; ');
    } catch (err) {
      return `history not read (${err instanceof Error ? err.message : String(err)})`;
    }
    function seconds(ms: number) {
      return `${(ms / 1000).toFixed(1)} s`;
    }
  }

  /** Read once, after the rest settled. */
  async function finalChecks(a: Accepted, users: string[], http: ClientStats): Promise<Check[]> {
    const checks: Check[] = [];
    // The gateway's history: every push of every user and conversation channel, after its de-duplication.
    const seen = new Map<string, number>();
    const conversationIds = new Set([...a.messages.values()].map((m) => m.conversationId));
    const channels = [...users.map((u) => userChannel(u)), ...[...conversationIds].map((c) => conversationChannel(c))];
    let pushes = 0;
    const webSent = new Set<string>();
    for (const channel of channels) {
      const entries = await redis.xrange(`stream:{${channel}}`, '-', '+');
      for (const [, fields] of entries) {
        const stored = storedEvent(fields);
        const f = { e: stored.event };
        const d = (stored.data ?? {}) as Record<string, string>;
        const key =
          f.e === PURCHASE_STATUS_EVENT
            ? `purchase ${d.purchaseId} ${d.status}`
            : f.e === MESSAGE_STATUS_EVENT
              ? `message ${d.messageId} ${d.status}`
              : f.e === EVENT_TRAIL_EVENT
                ? `event ${d.eventId} ${d.step}`
                : f.e === 'notification'
                  ? `notification ${d.notificationId}`
                  : undefined;
        if (!key) continue;
        pushes++;
        if (f.e === 'notification') webSent.add(d.notificationId!);
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    const twice = [...seen].filter(([, n]) => n > 1);
    checks.push({
      name: "gateway: no status pushed twice for the same item (the channels' history after de-duplication)",
      ok: twice.length === 0,
      detail: `${pushes} status pushes on ${channels.length} channels, ${twice.length} pushed more than once`,
      examples: twice.map(([k, n]) => `${k}: ${n}×`).slice(0, 5),
    });
    const sentWeb = (
      await statuses(
        'notifications',
        'notification_id',
        [...a.notifications].filter(([, n]) => n.channel === 'web').map(([id]) => id),
      )
    ).values();
    const missingWeb = [...sentWeb].filter((r) => r.status === 'SENT' && !webSent.has(String(r.notification_id)));
    checks.push({
      name: "gateway: every web notification SENT is in its user's channel history",
      ok: missingWeb.length === 0,
      detail: `${webSent.size} in the history, ${missingWeb.length} SENT but missing`,
      examples: missingWeb.map((r) => String(r.notification_id)).slice(0, 5),
    });

    // Dead letters: each Kafka one carries its reason (x-dlq-reason); SQS redrive carries none, so any there is one without.
    const admin = kafka.admin();
    await admin.connect();
    const withoutReason: string[] = [];
    let kafkaDead = 0;
    const dlqTopics = names.allKafkaTopics().filter((t) => t.endsWith('.dlq'));
    try {
      for (const topic of dlqTopics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        const count = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
        if (count === 0) continue;
        kafkaDead += count;
        const consumer = kafka.consumer({ groupId: `${config.TIDINGS_ENV}.soak-dlq-check-${Date.now()}` });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        let read = 0;
        await new Promise<void>((resolve) => {
          const timeout = setTimeout(resolve, 30_000);
          void consumer.run({
            eachMessage: async ({ message }) => {
              read++;
              const reason = message.headers?.['x-dlq-reason']?.toString();
              if (!reason) withoutReason.push(`${topic} offset ${message.offset}`);
              if (read >= count) (clearTimeout(timeout), resolve());
            },
          });
        });
        await consumer.disconnect();
        if (read < count) withoutReason.push(`${topic}: ${count - read} records not readable within 30 s`);
      }
    } finally {
      await admin.disconnect();
    }
    let sqsDead = 0;
    for (const queue of Object.values(names.queues)) {
      if (!queue.dlq) continue;
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue.dlq.name }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      const n = Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      sqsDead += n;
      if (n) withoutReason.push(`SQS ${queue.dlq.name}: ${n} redriven after ${queue.dlq.maxReceiveCount} receives (reason only in the consumer's log)`);
    }
    checks.push({
      name: 'dead letters: none without a reason',
      ok: withoutReason.length === 0,
      detail: `Kafka ${dlqTopics.length} .dlq topics: ${kafkaDead} records; SQS dead-letter queues: ${sqsDead} messages`,
      examples: sample(withoutReason),
    });

    const all = http.totals();
    const fiveHundreds = [...all].filter(([s]) => s.startsWith('5') && s !== '503');
    checks.push({
      name: 'HTTP: every refusal during an outage was 503 or 429 with Retry-After, never another 5xx',
      ok: http.violations.length === 0,
      detail: `${[...all].map(([s, n]) => `${s} ${n}`).join(', ')}; violations ${http.violations.length}${fiveHundreds.length ? ` (other 5xx: ${fiveHundreds.map(([s, n]) => `${s} ${n}`).join(', ')})` : ''}`,
      examples: http.violations.map((v) => `${v.route} ${v.status}: ${v.detail}`).slice(0, 5),
    });
    return checks;
  }

  return {
    settledChecks,
    finalChecks,
    purchaseTimings,
    async close() {
      await mysql.end().catch(() => undefined);
      await closeRedis(redis).catch(() => undefined);
      sqs.destroy();
      await temporal?.close().catch(() => undefined);
    },
  };
}
