import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import type { DayToClose, LedgerActivities, RelayBatchResult } from '../contracts/ledger';
import { endOfLocalDay } from '../domain/zoned-time';
import { useTimeSkipping } from '../test/support/temporal';
import { dayClose, dayCloseWorkflowId, outboxRelay } from './ledger';

// Time-skipping: the day close is a durable timer that fires at the end of the merchant's day
// (plus grace) and not a moment before. test/ledger.e2e.test.ts closes a real past day.
describe('day close (time-skipping test server)', () => {
  const ts = useTimeSkipping();

  it("closes the day at the end of the merchant's local day plus grace, not before", async () => {
    const closedAt: number[] = [];
    const activities: Pick<LedgerActivities, 'closeLedgerDay'> = {
      async closeLedgerDay() {
        closedAt.push(await ts.env.currentTimeMs());
      },
    };
    const worker = await ts.worker({ taskQueue: 'day-close', activities });
    const now = await ts.env.currentTimeMs();
    const day = new Date(now + 2 * 86_400_000).toISOString().slice(0, 10); // the day after tomorrow
    const grace = 30 * 60_000;
    const closeAt = endOfLocalDay('America/Sao_Paulo', day) + grace;
    await worker.runUntil(async () => {
      const handle = await ts.env.client.workflow.start(dayClose, {
        taskQueue: 'day-close',
        workflowId: dayCloseWorkflowId('ts', 'm1', day),
        args: [{ merchantId: 'm1', day, closeAt }],
      });
      await ts.env.sleep(closeAt - now - 60_000); // one minute before the close
      expect(closedAt).toEqual([]);
      await handle.result(); // skips the remaining minute
      expect(closedAt).toHaveLength(1);
      expect(closedAt[0]!).toBeGreaterThanOrEqual(closeAt);
    });
  });
});

// The relay starts each new day's close as a child workflow, once, and the close outlives it.
describe('outbox relay and its day closes (time-skipping test server)', () => {
  const ts = useTimeSkipping();

  it('starts each day close as a child once (a day started before is left as it is), abandoned when the relay closes', async () => {
    const closeAt = (await ts.env.currentTimeMs()) + 7 * 86_400_000;
    const day = (merchantId: string): DayToClose => ({
      workflowId: dayCloseWorkflowId('ts', merchantId, '2030-01-01'),
      input: { merchantId, day: '2030-01-01', closeAt },
    });
    const batches: RelayBatchResult[] = [
      { claimed: 2, applied: 2, daysToClose: [day('a'), day('b')] },
      // A later batch touching day a before its mark landed: already started, rejected by id.
      { claimed: 1, applied: 1, daysToClose: [day('a')] },
    ];
    const asked: unknown[] = [];
    const marked: string[][] = [];
    let bothMarked: () => void = () => undefined;
    const done = new Promise<void>((r) => (bothMarked = r));
    const activities: LedgerActivities = {
      async relayOutboxBatch(_limit, opts) {
        asked.push(opts);
        return batches.shift() ?? { claimed: 0, applied: 0, daysToClose: [] };
      },
      async markDayClosesStarted(days) {
        marked.push(days.map((d) => d.merchantId));
        if (marked.length === 2) bothMarked();
      },
      async closeLedgerDay() {},
    };
    const worker = await ts.worker({ taskQueue: 'relay', activities });
    await worker.runUntil(async () => {
      const relay = await ts.env.client.workflow.start(outboxRelay, {
        taskQueue: 'relay',
        workflowId: 'ts.relay',
        args: [{ batchSize: 2, idleMs: 3_600_000 }],
      });
      await done;
      expect(asked[0]).toEqual({ closes: 'return' });
      expect(marked).toEqual([['a', 'b'], ['a']]);
      const children = await Promise.all(['a', 'b'].map((m) => ts.env.client.workflow.getHandle(day(m).workflowId).describe()));
      for (const c of children) expect(c.parentExecution?.workflowId).toBe('ts.relay');
      // Abandoned, so a close outlives the relay's continue-as-new (asked of the server in the start command).
      const starts = ((await relay.fetchHistory()).events ?? []).flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes ?? []);
      expect(starts.map((a) => a.parentClosePolicy)).toEqual([
        temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON,
        temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON,
        temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON,
      ]);
      await relay.terminate('test over');
    });
  });
});
