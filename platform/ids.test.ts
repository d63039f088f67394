import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { timeOrderedUuid } from './ids';

describe('timeOrderedUuid', () => {
  it('is a version 7, RFC variant UUID whose first 48 bits are the time in ms', () => {
    const now = Date.UTC(2026, 11, 7, 20, 30, 0, 123);
    const id = timeOrderedUuid(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it('sorts by the millisecond it was made in, as text', () => {
    const ids = [3, 1, 2, 1_000, 999].map((dt) => ({ dt, id: timeOrderedUuid(1_700_000_000_000 + dt) }));
    const byText = [...ids].sort((a, b) => (a.id < b.id ? -1 : 1)).map((x) => x.dt);
    expect(byText).toEqual([1, 2, 3, 999, 1_000]);
  });

  it('keeps 74 random bits: ids of the same millisecond differ', () => {
    const same = new Set(Array.from({ length: 1_000 }, () => timeOrderedUuid(1_700_000_000_000)));
    expect(same.size).toBe(1_000);
  });
});
