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

// A trace is still arriving when its page opens: every process sends its spans in batches, and Jaeger,
// on the same machine, can be slow to take them or to answer for a moment. So the trace page reads it
// again while it is young or still growing, and while it has not arrived (404, which is also what a
// trace whose API span, the one naming its user, is not in yet answers). A read that failed in a way
// that passes (no answer, 408, 429, or a 5xx such as the 503 the API answers when Jaeger took over
// 5 s) is read again the same way: it used to end the reads for good, so on a loaded machine one slow
// Jaeger answer left the page without the spans that arrived a moment later.

/** How long a trace stays young (from its first span), and how long a page waits for one to arrive. */
export const TRACE_YOUNG_MS = 30_000;

/** One read of a trace: what it showed (its first span's start, ms since the epoch), or the HTTP status it failed with (0: no answer). */
export type TraceRead = { startedAt: number; spans: number } | { status: number };

/** True for a failed read worth repeating: no answer, a timeout, a rate limit, or the server's side (a 503 while Jaeger is slow). */
export const isPassingFailure = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500;

/**
 * Whether the trace page reads the trace again after `read`: the page opened at `openedAt`, and the
 * read before this one showed `shownSpans` spans (-1: none shown yet). A young or growing trace is
 * read again for at most five times the young span; one not there yet, or a passing failure before
 * anything was shown, for the young span from the page's opening.
 */
export function readTraceAgain(read: TraceRead, openedAt: number, shownSpans: number, now: number): boolean {
  const open = now - openedAt;
  if ('spans' in read) return (now - read.startedAt < TRACE_YOUNG_MS || read.spans !== shownSpans) && open < 5 * TRACE_YOUNG_MS;
  if (read.status === 404) return open < TRACE_YOUNG_MS;
  return isPassingFailure(read.status) && open < (shownSpans >= 0 ? 5 : 1) * TRACE_YOUNG_MS;
}
