import { describe, expect, it } from 'vitest';
import { fromCents, toCents, DECIMAL_AMOUNT } from './money';
import { quote, ImpossibleTermsError, type Product } from './purchase-quote';
import { eligibility, sendAtSchema } from './notification';
import { endOfLocalDay, isTimeZone, wallClock, zonedInstant } from './zoned-time';

describe('money', () => {
  it('parses decimal strings with at most two places into cents, exactly', () => {
    expect(toCents('0.1')).toBe(10);
    expect(toCents('19.99')).toBe(1999);
    expect(toCents('1000000')).toBe(100_000_000);
    expect(fromCents(-1234)).toBe('-12.34');
    for (const bad of ['1.999', '-1', '01', '1e3', 'abc', '', '1.']) expect(DECIMAL_AMOUNT.test(bad), bad).toBe(false);
  });
});

describe('zoned time', () => {
  it("finds the end of a merchant's local day, across time zones and DST", () => {
    expect(new Date(endOfLocalDay('UTC', '2026-03-10')).toISOString()).toBe('2026-03-11T00:00:00.000Z');
    expect(new Date(endOfLocalDay('America/Sao_Paulo', '2026-03-10')).toISOString()).toBe('2026-03-11T03:00:00.000Z');
    // New York springs forward on 2026-03-08: that local day is 23 hours long.
    expect(new Date(endOfLocalDay('America/New_York', '2026-03-07')).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(endOfLocalDay('America/New_York', '2026-03-08')).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(new Date(zonedInstant('Asia/Tokyo', '2026-01-01', 22)).toISOString()).toBe('2026-01-01T13:00:00.000Z');
    expect(isTimeZone('Europe/Lisbon')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('reads the wall clock of a zone at an instant, the inverse of zonedInstant', () => {
    expect(wallClock('America/Sao_Paulo', Date.UTC(2026, 0, 1, 12, 0, 5))).toBe('2026-01-01T09:00:05');
    expect(wallClock('Asia/Tokyo', zonedInstant('Asia/Tokyo', '2026-01-01', 22))).toBe('2026-01-01T22:00:00');
    // Midnight is 00, not 24 (hourCycle h23).
    expect(wallClock('UTC', Date.UTC(2026, 5, 1))).toBe('2026-06-01T00:00:00');
  });
});

describe('purchase quote', () => {
  const product: Product = {
    productId: 'p',
    name: 'P',
    priceCents: 100000,
    currency: 'BRL',
    maxInstallments: 12,
    monthlyRateBp: 200,
    minAmountCents: 100000,
    maxAmountCents: 500000,
  };
  it('prices installments with interest (French amortization) in whole cents', () => {
    const q = quote(product, { productId: 'p', quantity: 1, installments: 12 });
    expect(q.installmentCents).toBe(9456); // 1000 at 2% a month over 12 months
    expect(q.totalCents).toBe(9456 * 12);
    expect(quote(product, { productId: 'p', quantity: 2, installments: 1 }).totalCents).toBe(200000);
  });
  it('names the field of impossible terms', () => {
    expect(() => quote(product, { productId: 'p', quantity: 6, installments: 1 })).toThrow(ImpossibleTermsError);
    try {
      quote(product, { productId: 'p', quantity: 1, installments: 13 });
    } catch (err) {
      expect((err as ImpossibleTermsError).field).toBe('installments');
    }
  });
});

describe('notification eligibility', () => {
  const prefs = { timezone: 'America/Sao_Paulo', channels: ['web' as const], quietHours: { start: '22:00', end: '07:00' }, mutedUntil: null };
  it('refuses unknown users, channels not opted in, and muted users', () => {
    const at = Date.parse('2026-11-23T15:00:00Z');
    expect(eligibility(undefined, 'web', at)).toEqual({ eligible: false, reason: 'unknown user' });
    expect(eligibility(prefs, 'email', at)).toMatchObject({ eligible: false });
    expect(eligibility({ ...prefs, mutedUntil: at + 1000 }, 'web', at)).toEqual({ eligible: false, reason: 'muted' });
    expect(eligibility(prefs, 'web', at)).toEqual({ eligible: true, deferUntil: null });
  });
  it("defers quiet hours (in the user's zone, overnight) to their end", () => {
    // 23:30 in São Paulo (UTC-3) → 07:00 local the next morning = 10:00 UTC.
    expect(eligibility(prefs, 'web', Date.parse('2026-11-24T02:30:00Z'))).toEqual({ eligible: true, deferUntil: Date.parse('2026-11-24T10:00:00Z') });
    // 05:00 local → 07:00 local the same day.
    expect(eligibility(prefs, 'web', Date.parse('2026-11-24T08:00:00Z'))).toEqual({ eligible: true, deferUntil: Date.parse('2026-11-24T10:00:00Z') });
  });
});

describe('sendAt', () => {
  it('reads its year bound at each validation, so a process running across New Year moves with it', () => {
    let now = Date.parse('2026-12-31T23:00:00Z');
    const schema = sendAtSchema(() => now);
    expect(schema.safeParse('2028-06-01T00:00:00Z').success).toBe(false);
    expect(schema.safeParse('2027-06-01T00:00:00Z').success).toBe(true);
    now = Date.parse('2027-01-01T01:00:00Z');
    expect(schema.safeParse('2028-06-01T00:00:00Z').success).toBe(true);
    expect(schema.safeParse('2029-01-01T00:00:00Z').error?.issues[0]?.message).toBe('must be in 2028 at the latest');
  });
});
