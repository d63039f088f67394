import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { LedgerActivities } from '../activities/ledger';
import { endOfLocalDay } from '../domain/zoned-time';
import { useTimeSkipping } from '../test/support/temporal';
import { dayClose, dayCloseWorkflowId } from './ledger';

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
    const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue: 'day-close', workflowBundle: ts.bundle, activities });
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
