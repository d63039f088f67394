/**
 * Compares two Redis stream ids (`ms-seq`) numerically: <0, 0, >0. Called per frame and socket,
 * so it builds no arrays.
 */
export function compareOffsets(a: string, b: string): number {
  if (a === b) return 0;
  const ad = a.indexOf('-');
  const bd = b.indexOf('-');
  // Same shape (the common case: one channel's offsets, all in the same decades): both numbers of
  // each have the same width, so the text order is the numeric order. No string is cut.
  if (ad > 0 && ad === bd && a.length === b.length) return a < b ? -1 : 1;
  const am = Number(ad < 0 ? a : a.slice(0, ad)) || 0;
  const bm = Number(bd < 0 ? b : b.slice(0, bd)) || 0;
  if (am !== bm) return am - bm;
  return (ad < 0 ? 0 : Number(a.slice(ad + 1)) || 0) - (bd < 0 ? 0 : Number(b.slice(bd + 1)) || 0);
}
