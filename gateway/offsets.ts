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

/**
 * The last of a series of offsets, kept as its two numbers, read digit by digit (-1 before any).
 * A subscription keeps one per channel; the offset's text, cut from a frame, would keep the whole
 * frame alive until the channel's next event, and at tens of thousands of events a second carry
 * every frame into the old generation (docs/gateway-hot-path.md). Offsets are `ms-seq` digits, as
 * readLiveFrame and the history read them.
 */
export class LastOffset {
  private ms = -1;
  private seq = -1;

  /** True when `offset` comes after the last one, which it then becomes. */
  advance(offset: string): boolean {
    let ms = 0;
    let i = 0;
    for (; i < offset.length; i++) {
      const c = offset.charCodeAt(i);
      if (c === 45 /* - */) break;
      ms = ms * 10 + (c - 48);
    }
    let seq = 0;
    for (i++; i < offset.length; i++) seq = seq * 10 + (offset.charCodeAt(i) - 48);
    if (ms < this.ms || (ms === this.ms && seq <= this.seq)) return false;
    this.ms = ms;
    this.seq = seq;
    return true;
  }
}
