import { WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { MessageActivities } from '../activities/messages';
import { useTimeSkipping } from '../test/support/temporal';
import { message, messageStateQuery, messageWorkflowId, statusEventSignal, type StatusEvent } from './message';

// Time-skipping: the lifecycle's ordering, idempotence and deadline with a stub that records each
// persisted transition; test/messages.e2e.test.ts runs the real activity against the real servers.
describe('message lifecycle (time-skipping test server)', () => {
  const ts = useTimeSkipping();
  let n = 0;

  async function run(events: StatusEvent['status'][][], deliverDeadlineMs = 60_000) {
    const recorded: string[] = [];
    const activities: Pick<MessageActivities, 'recordMessageTransition'> = {
      async recordMessageTransition({ status }) {
        recorded.push(status);
      },
    };
    const taskQueue = `msg-ts-${++n}`;
    const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.bundle, activities });
    const result = await worker.runUntil(async () => {
      const h = await ts.env.client.workflow.start(message, {
        taskQueue,
        workflowId: messageWorkflowId('ts', `m${n}`),
        args: [{ messageId: `m${n}`, conversationId: 'c1', deliverDeadlineMs, readWaitMs: 3_600_000 }],
      });
      for (const burst of events) {
        // Once READ is reached the run ends; later events find it closed, which changes nothing.
        const closed = (err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        };
        for (const status of burst) await h.signal(statusEventSignal, { status, at: Date.now() }).catch(closed);
        await h.query(messageStateQuery).catch(() => undefined); // let the burst be processed before the next
      }
      return h.result();
    });
    // Local activities run at least once; what the subscribers see is the first of each (deduped).
    return { result, recorded: [...new Set(recorded)] };
  }

  it('goes PENDING → SENT → DELIVERED → READ', async () => {
    const { result, recorded } = await run([['SENT'], ['DELIVERED'], ['READ']]);
    expect(recorded).toEqual(['SENT', 'DELIVERED', 'READ']);
    expect(result.status).toBe('READ');
    expect(result.history.map((h) => h.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
  });

  it('duplicates change nothing, a regression is ignored, READ before DELIVERED brings the steps in order', async () => {
    const { result, recorded } = await run([['SENT', 'SENT'], ['READ'], ['DELIVERED', 'SENT', 'READ']]);
    expect(recorded).toEqual(['SENT', 'DELIVERED', 'READ']);
    expect(result.status).toBe('READ');
  });

  it('FAILED when not DELIVERED before the deadline', async () => {
    const before = await ts.env.currentTimeMs();
    const { result, recorded } = await run([['SENT']], 10 * 60_000);
    expect(result.status).toBe('FAILED');
    expect(recorded).toEqual(['SENT', 'FAILED']);
    expect((await ts.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(10 * 60_000);
  });
});
