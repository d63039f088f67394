// Wall-clock arithmetic in IANA time zones with Intl only (no date library): enough to find when a
// merchant's day ends or a user's quiet hours stop.

// One formatter per zone: building an Intl.DateTimeFormat costs far more than using one, and the
// relay and the notification buckets ask for the same few zones over and over.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    // Bounded: zones are a few hundred names, but a caller could pass any string that Intl accepts.
    if (formatters.size >= 1_000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock's fields in `timeZone` at `instant`. */
function partsAt(timeZone: string, instant: number): Record<string, string> {
  return Object.fromEntries(
    formatterOf(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
}

/** Minutes `timeZone` is ahead of UTC at `instant`. */
export function utcOffsetMinutes(timeZone: string, instant: number): number {
  const parts = partsAt(timeZone, instant);
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The wall clock of `timeZone` at `instant` as `yyyy-mm-ddThh:mm:ss`: what a user there reads, or types in a datetime-local field. */
export function wallClock(timeZone: string, instant: number): string {
  const p = partsAt(timeZone, instant);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** The instant local wall time `yyyy-mm-dd hh:mm` happens in `timeZone`. */
export function zonedInstant(timeZone: string, date: string, hour = 0, minute = 0): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  // Two passes settle the offset around DST changes.
  let guess = wall - utcOffsetMinutes(timeZone, wall) * 60_000;
  guess = wall - utcOffsetMinutes(timeZone, guess) * 60_000;
  return guess;
}

/** The instant the local day `date` ends (next local midnight) in `timeZone`. */
export function endOfLocalDay(timeZone: string, date: string): number {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return zonedInstant(timeZone, next.toISOString().slice(0, 10));
}

/** True if `timeZone` is a zone Intl knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
