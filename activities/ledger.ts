import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import { endOfLocalDay } from '../domain/zoned-time';
import { startOnce } from '../platform/clients/temporal';
import type { Config } from '../platform/config';
import { namesOf } from '../platform/names';
import { balanceView, closeDay, dailyBalances, markCloseScheduled, relayBatch } from '../stores/ledger';
import {
  DAY_CLOSE_WORKFLOW,
  dayCloseWorkflowId,
  LEDGER_BALANCE_EVENT,
  ledgerChannel,
  type DayCloseWorkflow,
  type DayToClose,
  type LedgerActivities,
  type RelayBatchResult,
} from '../contracts/ledger';
import type { Publisher } from '../gateway/publisher';

export interface LedgerDeps {
  config: Config;
  mysql: Pool;
  producer: () => Promise<Producer>;
  temporal: () => Promise<Client>;
  publisher: () => Publisher;
}

/** Activities of the outbox relay and the day close. */
export function createLedgerActivities(deps: LedgerDeps): LedgerActivities {
  return {
    async relayOutboxBatch(limit: number, opts?: { closes: 'return' }): Promise<RelayBatchResult> {
      const producer = await deps.producer();
      const { entries, applied, daysToSchedule } = await relayBatch(deps.mysql, limit, async (batch) => {
        if (batch.length === 0) return;
        await producer.send({
          topic: namesOf(deps.config).topics.ledgerEntryPosted,
          messages: batch.map((e) => ({ key: e.merchantId, value: JSON.stringify(e) })),
        });
      });
      const daysToClose: DayToClose[] = daysToSchedule.map((d) => ({
        workflowId: dayCloseWorkflowId(deps.config.TIDINGS_ENV, d.merchantId, d.day),
        input: { merchantId: d.merchantId, day: d.day, closeAt: endOfLocalDay(d.timezone, d.day) + deps.config.LEDGER_CLOSE_GRACE_MS },
      }));
      if (opts?.closes !== 'return' && daysToClose.length > 0) {
        const client = await deps.temporal();
        for (const d of daysToClose) {
          await startOnce<DayCloseWorkflow>(client, DAY_CLOSE_WORKFLOW, {
            taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
            workflowId: d.workflowId,
            args: [d.input],
          });
          await markCloseScheduled(deps.mysql, d.input);
        }
      }
      // Live: each touched day's new balance to its merchant's ledger channel (the web page updates
      // without polling). After the commit, so what is pushed is what a reader would see.
      if (applied > 0) {
        const touched = new Map(entries.map((e) => [`${e.merchantId}|${e.occurredOn}`, e]));
        for (const e of touched.values()) {
          const days = await dailyBalances(deps.mysql, e.merchantId, e.occurredOn, e.occurredOn);
          await deps
            .publisher()
            .publish(ledgerChannel(e.merchantId), LEDGER_BALANCE_EVENT, { date: e.occurredOn, days: days.map(balanceView) }, { countConnections: false });
        }
      }
      return opts?.closes === 'return' ? { claimed: entries.length, applied, daysToClose } : { claimed: entries.length, applied };
    },

    async markDayClosesStarted(days: { merchantId: string; day: string }[]): Promise<void> {
      for (const d of days) await markCloseScheduled(deps.mysql, d);
    },

    async closeLedgerDay(merchantId: string, day: string): Promise<void> {
      await closeDay(deps.mysql, merchantId, day);
    },
  };
}

export type { LedgerActivities };
