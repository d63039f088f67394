// A day's report arrives two ways: the GET a page sends after posting, and the relay's push once
// it has consolidated. On a busy machine the GET can leave before the push and land after it;
// shown as it came, it would put back "1 pending, closing 0" over the pushed balance, and no later
// push would correct it. A day's entry count and consolidated count only grow (entries are never
// deleted), so a report behind the shown one in either count is the older and is dropped.

export interface DayCounts {
  currency: string;
  entryCount: number;
  consolidatedCount: number;
}

/** True when `incoming` is behind `shown` for some currency: an older read that arrived late. */
export function isOlderReport(shown: readonly DayCounts[], incoming: readonly DayCounts[]): boolean {
  return shown.some((s) => {
    const d = incoming.find((x) => x.currency === s.currency);
    return !d || d.entryCount < s.entryCount || d.consolidatedCount < s.consolidatedCount;
  });
}
