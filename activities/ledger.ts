import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import { endOfLocalDay } from '../domain/zoned-time';
import { startOnce } from '../platform/clients/temporal';
import type { Config } from '../platform/config';
import { namesOf } from '../platform/names';
import { inTransaction } from '../platform/db/transaction';
import {
  balanceView,
  claimOutbox,
  closeDay,
  dailyBalancesOf,
  daysWithoutClose,
  markCloseScheduled,
  markDispatched,
  unscheduledDays,
  type LedgerEntry,
} from '../stores/ledger';
import {
  DAY_CLOSE_WORKFLOW,
  dayCloseWorkflowId,
  LEDGER_BALANCE_EVENT,
  relayDrainingKey,
  type DayCloseWorkflow,
  type DayToClose,
  type LedgerActivities,
  type RelayBatchResult,
} from '../contracts/ledger';
import { ledgerChannel } from '../contracts/channels';
import type { Publisher } from '../gateway/publisher';

type DayRef = { merchantId: string; day: string };

/**
 * A merchant's live balance is pushed at most this often while the relay drains a stream of posts:
 * one balance query and one publish per day per push instead of per batch (20 batches a second at
 * 8,000 entries/s), and still four updates a second on the page.
 */
const BALANCE_PUSH_EVERY_MS = 250;

export interface LedgerDeps {
  config: Config;
  mysql: Pool;
  producer: () => Promise<Producer>;
  temporal: () => Promise<Client>;
  publisher: () => Publisher;
  redis: Redis;
}

/** Activities of the outbox relay and the day close. */
export function createLedgerActivities(deps: LedgerDeps): LedgerActivities {
  /** One batch: claim, apply, publish to Kafka, mark dispatched (one transaction), then push the balances. */
  // Days whose close is known to be scheduled (close_scheduled only ever goes from 0 to 1), so a
  // batch touching only these skips the lookup: one statement less per batch while posts stream
  // into the same days. Per process, bounded; forgetting only costs a lookup.
  const scheduled = new Set<string>();
  const dayKey = (merchantId: string, day: string) => `${merchantId}|${day}`;
  const rememberScheduled = (d: { merchantId: string; day: string }) => {
    if (scheduled.size >= 10_000) scheduled.clear();
    scheduled.add(dayKey(d.merchantId, d.day));
  };

  const toClose = (d: { merchantId: string; day: string; timezone: string }): DayToClose => ({
    workflowId: dayCloseWorkflowId(deps.config.TIDINGS_ENV, d.merchantId, d.day),
    input: { merchantId: d.merchantId, day: d.day, closeAt: endOfLocalDay(d.timezone, d.day) + deps.config.LEDGER_CLOSE_GRACE_MS },
  });
  async function startCloses(days: DayToClose[]): Promise<void> {
    const client = await deps.temporal();
    for (const d of days) {
      await startOnce<DayCloseWorkflow>(client, DAY_CLOSE_WORKFLOW, { taskQueue: deps.config.TEMPORAL_TASK_QUEUE, workflowId: d.workflowId, args: [d.input] });
      await markCloseScheduled(deps.mysql, d.input);
      rememberScheduled(d.input);
    }
  }

  /**
   * `handedBack`: in 'return' mode, days this drain already returns for the workflow to close. They
   * stay close_scheduled = 0 until the drain ends and the workflow starts their closes, so without
   * it every batch of a drain would look them up again.
   */
  async function oneBatch(
    limit: number,
    opts?: { closes: 'return' },
    handedBack: ReadonlySet<string> = new Set(),
  ): Promise<RelayBatchResult & { daysToClose: DayToClose[]; touched: DayRef[] }> {
    const producer = await deps.producer();
    const known = (e: LedgerEntry) => scheduled.has(dayKey(e.merchantId, e.occurredOn)) || handedBack.has(dayKey(e.merchantId, e.occurredOn));
    // One transaction: claim and apply, publish to Kafka (a failed publish rolls the claim back and
    // the rows stay for the next batch), mark dispatched, and find the days still to schedule.
    const { entries, applied, daysToSchedule } = await inTransaction(
      deps.mysql,
      async (conn) => {
        const claim = await claimOutbox(conn, limit);
        if (claim.outboxIds.length === 0) return { entries: [], applied: 0, daysToSchedule: [] };
        if (claim.entries.length > 0) {
          await producer.send({
            topic: namesOf(deps.config).topics.ledgerEntryPosted,
            messages: claim.entries.map((e) => ({ key: e.merchantId, value: JSON.stringify(e) })),
          });
        }
        await markDispatched(conn, claim.outboxIds);
        // Every day known to have its close scheduled: the lookup is skipped.
        const days = claim.entries.every(known)
          ? []
          : await unscheduledDays(
              conn,
              claim.entries.map((e) => e.entryId),
            );
        return { entries: claim.entries, applied: claim.applied, daysToSchedule: days };
      },
      // READ COMMITTED: the claim's read sees every batch committed before this one took the relay's
      // lock row (claimOutbox), and no statement locks an index gap a post's outbox insert would wait on.
      { isolation: 'READ COMMITTED' },
    );
    const daysToClose: DayToClose[] = daysToSchedule.filter((d) => !handedBack.has(dayKey(d.merchantId, d.day))).map(toClose);
    if (opts?.closes !== 'return' && daysToClose.length > 0) await startCloses(daysToClose);
    const touched = applied > 0 ? entries.map((e) => ({ merchantId: e.merchantId, day: e.occurredOn })) : [];
    return { claimed: entries.length, applied, daysToClose: opts?.closes === 'return' ? daysToClose : [], touched };
  }

  /**
   * Live: each touched day's new balance to its merchant's ledger channel (the web page updates
   * without polling). After the batches' commits, so what is pushed is what a reader would see.
   */
  async function pushBalances(touched: Map<string, DayRef>): Promise<void> {
    if (touched.size === 0) return;
    const balances = await dailyBalancesOf(deps.mysql, [...touched.values()]);
    for (const [key, d] of touched) {
      const days = balances.get(key) ?? [];
      await deps
        .publisher()
        .publish(ledgerChannel(d.merchantId), LEDGER_BALANCE_EVENT, { date: d.day, days: days.map(balanceView) }, { countConnections: false });
    }
    touched.clear();
  }

  return {
    /**
     * Drains the outbox: batch after batch while entries keep arriving, polling every
     * LEDGER_RELAY_POLL_MS, for up to LEDGER_RELAY_DRAIN_MS; returns once a poll finds nothing (or
     * at the budget). Why: under a stream of posts, one batch per activity cost the Temporal server
     * a schedule, a dispatch and a workflow task per batch, all on the two cores the posts need;
     * one drain pays that once per budget. Returns what it claimed in all, so a relay whose drain
     * ran out of budget with work left goes on at once (claimed ≥ its batch size).
     */
    async relayOutboxBatch(limit: number, opts?: { closes: 'return' }): Promise<RelayBatchResult> {
      const ctx = Context.current();
      const hint = drainingHint(deps.redis, relayDrainingKey(deps.config.TEMPORAL_TASK_QUEUE), deps.config.LEDGER_RELAY_POLL_MS, ctx.log);
      const until = Date.now() + deps.config.LEDGER_RELAY_DRAIN_MS;
      const total = { claimed: 0, applied: 0, closes: new Map<string, DayToClose>() };
      const handedBack = new Set<string>();
      // Days applied since the last push, pushed at most every BALANCE_PUSH_EVERY_MS while the drain
      // runs and once more when it ends.
      const toPush = new Map<string, DayRef>();
      let pushedAt = 0;
      // Days an earlier drain applied but never handed back (it failed after a committed batch).
      const orphans = (await daysWithoutClose(deps.mysql, 1_000)).map(toClose);
      if (opts?.closes === 'return') {
        for (const d of orphans) {
          total.closes.set(d.workflowId, d);
          handedBack.add(dayKey(d.input.merchantId, d.input.day));
        }
      } else if (orphans.length > 0) await startCloses(orphans);
      const run = async () => {
        const batch = await oneBatch(limit, opts, handedBack);
        total.claimed += batch.claimed;
        total.applied += batch.applied;
        for (const d of batch.daysToClose) {
          total.closes.set(d.workflowId, d);
          handedBack.add(dayKey(d.input.merchantId, d.input.day));
        }
        for (const d of batch.touched) toPush.set(dayKey(d.merchantId, d.day), d);
        if (Date.now() - pushedAt >= BALANCE_PUSH_EVERY_MS) {
          await pushBalances(toPush);
          pushedAt = Date.now();
        }
        return batch.claimed;
      };
      try {
        for (;;) {
          await hint.hold();
          let claimed = await run();
          if (claimed === 0) {
            // Release, then look once more: a post that saw the hint held (and sent no signal) was
            // committed before the release, so this look finds it.
            await hint.release();
            claimed = await run();
            if (claimed === 0) break;
          }
          if (Date.now() >= until || ctx.cancellationSignal.aborted) break;
          // A full batch means more is waiting: no pause. A partial one: let the next posts gather.
          if (claimed < limit) await ctx.sleep(deps.config.LEDGER_RELAY_POLL_MS);
          ctx.heartbeat();
        }
      } finally {
        await hint.release();
      }
      await pushBalances(toPush);
      // Past the budget with entries still arriving: report a full batch so the relay goes on at once.
      const claimed = Date.now() >= until && total.claimed > 0 ? Math.max(total.claimed, limit) : total.claimed;
      return opts?.closes === 'return' ? { claimed, applied: total.applied, daysToClose: [...total.closes.values()] } : { claimed, applied: total.applied };
    },

    async markDayClosesStarted(days: { merchantId: string; day: string }[]): Promise<void> {
      for (const d of days) {
        await markCloseScheduled(deps.mysql, d);
        rememberScheduled(d);
      }
    },

    async closeLedgerDay(merchantId: string, day: string): Promise<void> {
      await closeDay(deps.mysql, merchantId, day);
    },
  };
}

export type { LedgerActivities };

/**
 * The drain's "I am polling" hint in Redis (relayDrainingKey). Best effort by design: if Redis
 * fails, the API finds no hint and signals as before, so a failure costs a workflow task, never an
 * entry; it is logged, not thrown. The TTL outlives a few polls, so a drain that died stops
 * suppressing signals on its own.
 */
function drainingHint(redis: Redis, key: string, pollMs: number, log: { warn(msg: string, meta?: Record<string, unknown>): void }) {
  const ttl = Math.max(2_000, pollMs * 10);
  let held = false;
  return {
    async hold(): Promise<void> {
      await redis.set(key, '1', 'PX', ttl).then(
        () => (held = true),
        (err: unknown) => log.warn('relay drain hint not set; the API keeps signalling', { err: String(err) }),
      );
    },
    async release(): Promise<void> {
      if (!held) return;
      await redis.del(key).then(
        () => (held = false),
        (err: unknown) => log.warn('relay drain hint not released; it expires on its own', { err: String(err) }),
      );
    },
  };
}
