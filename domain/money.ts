/** A decimal amount string with at most two places ("12", "12.5", "12.50") → integer cents. */
export const DECIMAL_AMOUNT = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;

export function toCents(amount: string): number {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/** Integer cents → "1234.50" (negative allowed). */
export function fromCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
