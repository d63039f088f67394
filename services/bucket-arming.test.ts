import { describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../platform/config';
import { armBucket, armOnce, armWithNext } from './bucket-arming';

const id = () => `bucket-${Math.random().toString(36).slice(2)}`;

describe('deadline bucket arming', () => {
  it('starts a bucket once, however many dispatches ask for it at the same time', async () => {
    const workflowId = id();
    let starts = 0;
    // The start stays in flight until all five have asked.
    let finish!: () => void;
    const inFlight = new Promise<void>((r) => (finish = r));
    const start = async () => {
      starts++;
      await inFlight;
    };
    const arming = Promise.all(Array.from({ length: 5 }, () => armOnce(workflowId, Date.now() + 60_000, start)));
    finish();
    await arming;
    await armOnce(workflowId, Date.now() + 60_000, start);
    expect(starts).toBe(1);
  });

  it('a failed start is tried again by the next call', async () => {
    const workflowId = id();
    let starts = 0;
    const start = async () => {
      if (++starts === 1) throw new Error('temporal unreachable');
    };
    await expect(armOnce(workflowId, Date.now() + 60_000, start)).rejects.toThrow('temporal unreachable');
    await armOnce(workflowId, Date.now() + 60_000, start);
    expect(starts).toBe(2);
  });

  it('arms the next slice ahead, so the first dispatch into it does not wait for a start', async () => {
    const prefix = id();
    const started: number[] = [];
    const bucket = (at: number) => ({ workflowId: `${prefix}-${at}`, start: async () => void started.push(at) });
    const fireAt = Date.now() + 60_000;
    expect(await armWithNext(bucket, fireAt, 5_000)).toBe(`${prefix}-${fireAt}`);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([fireAt, fireAt + 5_000]);
    // The next slice's first dispatch finds it armed: no new start for it, one for the slice after.
    await armWithNext(bucket, fireAt + 5_000, 5_000);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([fireAt, fireAt + 5_000, fireAt + 10_000]);
  });

  it('a failed pre-arm is not lost: the slice is armed when its first dispatch comes', async () => {
    const prefix = id();
    let failNext = true;
    const started: number[] = [];
    const fireAt = Date.now() + 60_000;
    const bucket = (at: number) => ({
      workflowId: `${prefix}-${at}`,
      start: async () => {
        if (at === fireAt + 5_000 && failNext) {
          failNext = false;
          throw new Error('temporal busy');
        }
        started.push(at);
      },
    });
    await armWithNext(bucket, fireAt, 5_000);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([fireAt]);
    await armWithNext(bucket, fireAt + 5_000, 5_000);
    expect(started).toContain(fireAt + 5_000);
  });

  it("starts a bucket by its journey's workflow type, once, asleep until its time (or at once without a start delay)", async () => {
    const starts: { type: string; options: Record<string, unknown> }[] = [];
    const client = { workflow: { start: async (type: string, options: Record<string, unknown>) => void starts.push({ type, options }) } } as unknown as Client;
    const config = loadConfig({ TEMPORAL_TASK_QUEUE: 'q' });
    const now = Date.now();
    const spec = (workflowId: string) => ({ workflowType: 'someBucket', workflowId, fireAt: now + 60_000, input: { fireAt: now + 60_000 }, memo: { m: 1 } });
    const [a, b] = [id(), id()];
    await Promise.all([armBucket({ config, temporal: async () => client }, spec(a), now), armBucket({ config, temporal: async () => client }, spec(a), now)]);
    await armBucket({ config, temporal: async () => client, startDelay: false }, spec(b), now);
    expect(starts.map((s) => [s.type, s.options.workflowId, s.options.startDelay])).toEqual([
      ['someBucket', a, 60_000],
      ['someBucket', b, undefined],
    ]);
    expect(starts[0]!.options).toMatchObject({ taskQueue: 'q', args: [{ fireAt: now + 60_000 }], memo: { m: 1 }, workflowIdConflictPolicy: 'USE_EXISTING' });
  });
});
