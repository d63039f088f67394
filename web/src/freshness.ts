// A page learns its state two ways: the GETs it sends (on load, after an action, after a gap) and the
// pushes on its channels. Neither keeps the order in which it left: a GET can leave before a push and
// land after it, and two GETs can answer out of order. Shown as it came, the older answer puts back a
// state the page had already moved past, and often no later push comes to correct it. The server only
// moves things forward (a status never goes back, a trail's steps are only added), so an answer
// behind what is shown is the older one: these rules keep the newer state.

const rank = (order: readonly string[], status: string) => order.indexOf(status);

/**
 * Whichever of `shown` and `incoming` is further along `order`; `incoming` on a tie. A status
 * missing from `order` ranks before every status in it, and nothing shown yet before anything.
 */
export function laterStatus(order: readonly string[], shown: string | undefined, incoming: string): string {
  return shown !== undefined && rank(order, shown) > rank(order, incoming) ? shown : incoming;
}

export interface Progress {
  status: string;
  steps: readonly unknown[];
}

/** True when `incoming` is behind `shown` in its steps or its status: an older read that landed late. */
export function isOlderProgress(order: readonly string[], shown: Progress | undefined, incoming: Progress): boolean {
  return !!shown && (incoming.steps.length < shown.steps.length || rank(order, incoming.status) < rank(order, shown.status));
}

/**
 * Latest call wins: wraps `request` so that a call answered after a later call was made does not
 * resolve with its own (older) answer but with the latest call's, once that one settles (rejecting
 * if it does). Every caller still gets an answer to act on, and none older than the one it asked for.
 */
export function latestOnly<A extends unknown[], T>(request: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let latest: Promise<T>;
  const answerOf = (call: Promise<T>): Promise<T> =>
    call.then(
      (value) => (call === latest ? value : answerOf(latest)),
      (err: unknown) => (call === latest ? Promise.reject(err) : answerOf(latest)),
    );
  return (...args) => {
    const call = request(...args);
    latest = call;
    return answerOf(call);
  };
}

/**
 * Latest request wins, for answers a page applies itself. `next()` starts a request that supersedes
 * every one before it; `current()` is for a request that builds on the latest one's answer (its next
 * page) without superseding it. Each returns a check, asked when the answer lands: is it still the
 * latest?
 */
export function requestOrder(): { next(): () => boolean; current(): () => boolean } {
  let latest = 0;
  const check = (n: number) => () => n === latest;
  return { next: () => check(++latest), current: () => check(latest) };
}

// A ledger day's report: its entry count and consolidated count only grow (entries are never
// deleted), so a report behind the shown one in either count is the older. Without this, the GET the
// ledger page sends after posting could land after the relay's push and put back "1 pending,
// closing 0" for good.
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
