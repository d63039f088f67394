import { describe, expect, it } from 'vitest';
import { createConfirmations } from './events';

// The consumers' memory of the confirmations they made (a run hears "stored" once per sink and
// process). The e2e twin, with a real run and both of C's copies: test/events.e2e.test.ts.
describe('createConfirmations', () => {
  it('confirms once per key; a concurrent duplicate waits for the first instead of confirming again', async () => {
    const confirmations = createConfirmations();
    let calls = 0;
    let release!: () => void;
    const first = confirmations.once('c:e1', () => {
      calls++;
      return new Promise<void>((r) => (release = r));
    });
    let secondDone = false;
    const second = confirmations.once('c:e1', async () => void calls++).then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    await confirmations.once('c:e1', async () => void calls++);
    await confirmations.once('b:e1', async () => void calls++);
    expect(calls).toBe(2);
  });

  it('a confirmation that failed is made again by the next copy, and the duplicate waiting on it fails too', async () => {
    const confirmations = createConfirmations();
    let calls = 0;
    const failing = confirmations.once('c:e2', async () => {
      calls++;
      throw new Error('Temporal unavailable');
    });
    const waiting = confirmations.once('c:e2', async () => void calls++);
    await expect(failing).rejects.toThrow('Temporal unavailable');
    await expect(waiting).rejects.toThrow('Temporal unavailable');
    await confirmations.once('c:e2', async () => void calls++);
    expect(calls).toBe(2);
  });

  it('is bounded: past its size the oldest are forgotten (and would be confirmed again)', async () => {
    const confirmations = createConfirmations(2);
    let calls = 0;
    for (const key of ['a', 'b', 'c', 'a']) await confirmations.once(key, async () => void calls++);
    expect(calls).toBe(4);
    await confirmations.once('c', async () => void calls++);
    expect(calls).toBe(4);
  });
});
