import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { eventStoredSignal, type EventEnvelope, type EventStatus, type EventVerdict } from '../contracts/events';
import { useTimeSkipping } from '../test/support/temporal';
import { eventFanOut } from './event-fan-out';

// Time-skipping: a copy the SNS/SQS server lost after taking it (kept in memory, restarted) is
// published again while a consumer has not confirmed, so the event still completes; one that never
// arrives ends INCOMPLETE at the deadline. Stubs stand in for the brokers; test/events.e2e.test.ts
// runs the real activities and consumers.
const { EventType } = temporal.api.enums.v1;

describe('event fan-out (time-skipping test server)', () => {
  const ts = useTimeSkipping();
  const event: EventEnvelope = {
    eventId: '0b7c2a53-7a39-4f4e-9d5f-2b1f4f4f7e01',
    type: 'signup',
    payload: {},
    userId: 'alice',
    acceptedAt: new Date(0).toISOString(),
  };

  const run = async (taskQueue: string, onSnsPublish: (n: number) => void) => {
    let snsPublishes = 0;
    const finished: EventStatus[] = [];
    const worker = await ts.worker({
      taskQueue,
      activities: {
        publishEventToSns: async () => {
          snsPublishes++;
          onSnsPublish(snsPublishes);
          return 'sns-id';
        },
        publishEventToKafka: async () => 'kafka-offset',
        finishEvent: async (_id: string, _user: string, status: EventVerdict) => (finished.push(status), status),
      },
    });
    const handle = await ts.env.client.workflow.start(eventFanOut, { taskQueue, workflowId: `ts.${taskQueue}`, args: [{ event, confirmTimeoutMs: 60_000 }] });
    const progress = await worker.runUntil(handle.result());
    return { progress, snsPublishes: () => snsPublishes, finished };
  };

  it('publishes to SNS again while a consumer has not confirmed; the second copy completes it', async () => {
    const client = () => ts.env.client.workflow.getHandle('ts.event-redelivery');
    const r = await run('event-redelivery', (n) => {
      // Kafka's copy reaches sink c at once; SNS's first copy is lost, its second reaches sink b.
      if (n === 1) void client().signal(eventStoredSignal, { sink: 'c' });
      if (n === 2) void client().signal(eventStoredSignal, { sink: 'b' });
    });
    expect(r.progress.status).toBe('COMPLETED');
    expect(r.snsPublishes()).toBe(2);
    expect(r.finished).toEqual(['COMPLETED']);
  });

  it("lean in workflow tasks: both publishes in the first task, the verdict in the last confirmation's, no activity task", async () => {
    const client = () => ts.env.client.workflow.getHandle('ts.event-lean');
    const r = await run('event-lean', () => {
      void client().signal(eventStoredSignal, { sink: 'b' });
      void client().signal(eventStoredSignal, { sink: 'c' });
    });
    expect(r.progress).toMatchObject({ status: 'COMPLETED', published: { sns: true, kafka: true } });
    const events = (await client().fetchHistory()).events ?? [];
    const count = (type: string) => events.filter((e) => EventType[Number(e.eventType)] === `EVENT_TYPE_${type}`).length;
    expect(count('ACTIVITY_TASK_SCHEDULED')).toBe(0);
    // Start, then one or two confirmations (the second may land in the first one's task).
    expect(count('WORKFLOW_TASK_COMPLETED')).toBeGreaterThanOrEqual(2);
    expect(count('WORKFLOW_TASK_COMPLETED')).toBeLessThanOrEqual(3);
    // Each step is still in the history: the two patches, both publishes and the verdict.
    expect(count('MARKER_RECORDED')).toBe(5);
  });

  it('a consumer that never confirms: three more copies, then INCOMPLETE at the deadline', async () => {
    const r = await run('event-never-confirmed', () => undefined);
    expect(r.progress.status).toBe('INCOMPLETE');
    expect(r.snsPublishes()).toBe(4);
    expect(r.finished).toEqual(['INCOMPLETE']);
  });
});
