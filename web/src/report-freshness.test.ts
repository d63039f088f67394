import { describe, expect, it } from 'vitest';
import { isOlderReport } from './report-freshness';

const day = (currency: string, entryCount: number, consolidatedCount: number) => ({ currency, entryCount, consolidatedCount });

describe('isOlderReport', () => {
  it('drops a read that left before the push and landed after it (fewer consolidated)', () => {
    expect(isOlderReport([day('BRL', 1, 1)], [day('BRL', 1, 0)])).toBe(true);
  });
  it('drops a report that lacks a currency already shown, or has fewer entries', () => {
    expect(isOlderReport([day('BRL', 1, 1), day('USD', 1, 1)], [day('BRL', 1, 1)])).toBe(true);
    expect(isOlderReport([day('BRL', 2, 1)], [day('BRL', 1, 1)])).toBe(true);
  });
  it('keeps a report that is as new or newer, including the first one and new currencies', () => {
    expect(isOlderReport([], [day('BRL', 1, 0)])).toBe(false);
    expect(isOlderReport([day('BRL', 1, 1)], [day('BRL', 1, 1)])).toBe(false);
    expect(isOlderReport([day('BRL', 1, 0)], [day('BRL', 2, 1), day('EUR', 1, 0)])).toBe(false);
  });
});
