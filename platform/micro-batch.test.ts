import { describe, expect, it } from 'vitest';
import { createMicroBatcher } from './micro-batch';

describe('createMicroBatcher', () => {
  it('sends what is submitted in one turn together, at most maxBatch per request', async () => {
    const batches: number[][] = [];
    const send = createMicroBatcher<number>({
      maxBatch: 10,
      sendBatch: async (items) => {
        batches.push(items);
        return items.map(() => undefined);
      },
    });
    await Promise.all(Array.from({ length: 25 }, (_, i) => send(i)));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // A later turn is a new batch.
    await send(99);
    expect(batches.at(-1)).toEqual([99]);
  });

  it('rejects only the callers whose entries failed, and every caller when the request fails', async () => {
    let fail = false;
    const send = createMicroBatcher<string>({
      maxBatch: 10,
      sendBatch: async (items) => {
        if (fail) throw new Error('broker down');
        return items.map((item) => (item === 'bad' ? new Error(`refused ${item}`) : undefined));
      },
    });
    const results = await Promise.allSettled([send('a'), send('bad'), send('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('refused bad');
    fail = true;
    const down = await Promise.allSettled([send('a'), send('b')]);
    expect(down.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it("hands each caller its own entry's result", async () => {
    const send = createMicroBatcher<number, { doubled: number }>({
      maxBatch: 2,
      sendBatch: async (items) => items.map((i) => (i < 0 ? new Error(`negative ${i}`) : { doubled: i * 2 })),
    });
    const results = await Promise.allSettled([send(1), send(-1), send(3)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual([{ doubled: 2 }, 'Error: negative -1', { doubled: 6 }]);
  });
});
