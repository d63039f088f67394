import { describe, expect, it, vi } from 'vitest';
import { inOrderPerKey } from './in-order';

describe('inOrderPerKey', () => {
  it("keeps each key's items in order, and runs keys side by side", async () => {
    const log: string[] = [];
    let releaseA!: () => void;
    const aBlocked = new Promise<void>((r) => (releaseA = r));
    const sending = inOrderPerKey(
      ['a1', 'b1', 'a2', 'b2'],
      (s) => s[0]!,
      async (s) => {
        log.push(`start ${s}`);
        if (s === 'a1') await aBlocked;
        log.push(`end ${s}`);
      },
    );
    // a1 is held: b's items go on meanwhile, a2 waits for a1.
    await vi.waitFor(() => expect(log).toContain('end b2'));
    expect(log).not.toContain('start a2');
    releaseA();
    await sending;
    expect(log.filter((l) => / a\d$/.test(l))).toEqual(['start a1', 'end a1', 'start a2', 'end a2']);
  });
});
