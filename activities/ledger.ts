import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'mysql2/promise';
import { endOfLocalDay } from '../domain/zoned-time';
import { startOnce } from '../platform/clients/temporal';
import type { Config } from '../platform/config';
import { namesOf } from '../platform/names';
import { closeDay, markCloseScheduled, relayBatch } from '../stores/ledger';
import { DAY_CLOSE_WORKFLOW, dayCloseWorkflowId, type DayCloseWorkflow, type LedgerActivities } from '../contracts/ledger';

export interface LedgerDeps {
  config: Config;
  mysql: Pool;
  producer: () => Promise<Producer>;
  temporal: () => Promise<Client>;
}

/** Activities of the outbox relay and the day close. */
export function createLedgerActivities(deps: LedgerDeps): LedgerActivities {
  return {
    /** One batch of the outbox: apply, publish, mark dispatched; then schedule the new days' close. */
    async relayOutboxBatch(limit: number): Promise<{ claimed: number; applied: number }> {
      const producer = await deps.producer();
      const { entries, applied, daysToSchedule } = await relayBatch(deps.mysql, limit, async (batch) => {
        if (batch.length === 0) return;
        await producer.send({
          topic: namesOf(deps.config).topics.ledgerEntryPosted,
          messages: batch.map((e) => ({ key: e.merchantId, value: JSON.stringify(e) })),
        });
      });
      if (daysToSchedule.length > 0) {
        const client = await deps.temporal();
        for (const d of daysToSchedule) {
          await startOnce<DayCloseWorkflow>(client, DAY_CLOSE_WORKFLOW, {
            taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
            workflowId: dayCloseWorkflowId(deps.config.TIDINGS_ENV, d.merchantId, d.day),
            args: [{ merchantId: d.merchantId, day: d.day, closeAt: endOfLocalDay(d.timezone, d.day) + deps.config.LEDGER_CLOSE_GRACE_MS }],
          });
          await markCloseScheduled(deps.mysql, d);
        }
      }
      return { claimed: entries.length, applied };
    },

    async closeLedgerDay(merchantId: string, day: string): Promise<void> {
      await closeDay(deps.mysql, merchantId, day);
    },
  };
}

export type { LedgerActivities };
