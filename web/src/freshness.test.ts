import { describe, expect, it } from 'vitest';
import { isOlderProgress, isOlderReport, isPassingFailure, laterStatus, latestOnly, readTraceAgain, requestOrder, TRACE_YOUNG_MS } from './freshness';

const TICKS = ['PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED'];
const EVENT = ['ACCEPTED', 'INCOMPLETE', 'COMPLETED'];

/** A request whose answer the test gives when it chooses: out of order, as a busy network does. */
function held<T>() {
  const answers: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  const request = (..._args: unknown[]) => new Promise<T>((resolve, reject) => answers.push({ resolve, reject }));
  return { request, answers };
}

describe('laterStatus', () => {
  it('keeps the pushed READ over the DELIVERED of a thread read before it', () => {
    expect(laterStatus(TICKS, 'READ', 'DELIVERED')).toBe('READ');
  });
  it('takes a later status, the same one, or the first one', () => {
    expect(laterStatus(TICKS, 'SENT', 'READ')).toBe('READ');
    expect(laterStatus(TICKS, 'SENT', 'SENT')).toBe('SENT');
    expect(laterStatus(TICKS, undefined, 'PENDING')).toBe('PENDING');
  });
  it('ranks a status it does not know before the ones it does', () => {
    expect(laterStatus(TICKS, 'SENT', 'SOMETHING')).toBe('SENT');
    expect(laterStatus(TICKS, 'SOMETHING', 'PENDING')).toBe('PENDING');
  });
});

describe('isOlderProgress', () => {
  const trail = (status: string, steps: number) => ({ status, steps: Array.from({ length: steps }, (_, i) => i) });
  it('drops a read with fewer steps, or back at ACCEPTED after a final status', () => {
    expect(isOlderProgress(EVENT, trail('ACCEPTED', 3), trail('ACCEPTED', 2))).toBe(true);
    expect(isOlderProgress(EVENT, trail('COMPLETED', 5), trail('ACCEPTED', 5))).toBe(true);
    expect(isOlderProgress(EVENT, trail('INCOMPLETE', 4), trail('ACCEPTED', 5))).toBe(true);
  });
  it('keeps the first read, the same read, and one that moved on', () => {
    expect(isOlderProgress(EVENT, undefined, trail('ACCEPTED', 1))).toBe(false);
    expect(isOlderProgress(EVENT, trail('ACCEPTED', 2), trail('ACCEPTED', 2))).toBe(false);
    expect(isOlderProgress(EVENT, trail('ACCEPTED', 2), trail('COMPLETED', 5))).toBe(false);
  });
});

describe('latestOnly', () => {
  it('gives a call answered after a later one the later answer, not its own', async () => {
    const { request, answers } = held<string>();
    const get = latestOnly(request);
    const first = get();
    const second = get();
    answers[1]!.resolve('new');
    answers[0]!.resolve('old');
    expect(await second).toBe('new');
    expect(await first).toBe('new');
  });
  it('makes an earlier call answered first wait for the latest', async () => {
    const { request, answers } = held<string>();
    const get = latestOnly(request);
    const got: string[] = [];
    const first = get().then((v) => got.push(`first:${v}`));
    answers[0]!.resolve('old');
    const second = get().then((v) => got.push(`second:${v}`));
    await Promise.resolve();
    answers[1]!.resolve('new');
    await Promise.all([first, second]);
    expect(got.sort()).toEqual(['first:new', 'second:new']);
  });
  it('passes the arguments on, and answers the only call with its own answer or failure', async () => {
    const get = latestOnly((id: string) => Promise.resolve(`thread ${id}`));
    expect(await get('a')).toBe('thread a');
    const failing = latestOnly(() => Promise.reject(new Error('down')));
    await expect(failing()).rejects.toThrow('down');
  });
  it('gives a superseded call the failure of the latest, and ignores the failure of a superseded one', async () => {
    const { request, answers } = held<string>();
    const get = latestOnly(request);
    const first = get();
    const second = get();
    answers[0]!.reject(new Error('old failure'));
    answers[1]!.reject(new Error('new failure'));
    await expect(first).rejects.toThrow('new failure');
    await expect(second).rejects.toThrow('new failure');
    const third = get();
    const fourth = get();
    answers[2]!.reject(new Error('superseded'));
    answers[3]!.resolve('fine');
    expect(await third).toBe('fine');
    expect(await fourth).toBe('fine');
  });
});

describe('requestOrder', () => {
  it('lets only the latest request apply its answer', () => {
    const order = requestOrder();
    const first = order.next();
    const second = order.next();
    expect(first()).toBe(false);
    expect(second()).toBe(true);
  });
  it('keeps a next page current until another request starts (a new filter)', () => {
    const order = requestOrder();
    const load = order.next();
    const page = order.current();
    expect(load()).toBe(true);
    expect(page()).toBe(true);
    order.next();
    expect(page()).toBe(false);
  });
});

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

describe('readTraceAgain', () => {
  const opened = 1_000_000;
  const at = (ms: number) => opened + ms;
  it('reads again after a 503 (Jaeger slow to answer) or no answer, as after a 404, while the page waits for the trace', () => {
    // One slow Jaeger read on a loaded machine used to end the reads: the API span, sent a moment
    // later, never appeared.
    expect(readTraceAgain({ status: 503 }, opened, -1, at(5_000))).toBe(true);
    expect(readTraceAgain({ status: 0 }, opened, -1, at(5_000))).toBe(true);
    expect(readTraceAgain({ status: 404 }, opened, -1, at(5_000))).toBe(true);
    expect(readTraceAgain({ status: 503 }, opened, -1, at(TRACE_YOUNG_MS))).toBe(false);
    expect(readTraceAgain({ status: 404 }, opened, -1, at(TRACE_YOUNG_MS))).toBe(false);
  });
  it('keeps reading a trace already shown through a passing failure, within the reads a young trace gets', () => {
    expect(readTraceAgain({ status: 502 }, opened, 7, at(40_000))).toBe(true);
    expect(readTraceAgain({ status: 502 }, opened, 7, at(5 * TRACE_YOUNG_MS))).toBe(false);
  });
  it('stops at a failure that does not pass', () => {
    for (const status of [400, 401, 403]) expect(readTraceAgain({ status }, opened, -1, at(1_000))).toBe(false);
    expect([0, 408, 429, 500, 503, 504].every(isPassingFailure)).toBe(true);
  });
  it('reads a trace again while it is young or still growing, for at most five young spans', () => {
    expect(readTraceAgain({ startedAt: at(0), spans: 3 }, opened, 3, at(10_000))).toBe(true);
    expect(readTraceAgain({ startedAt: at(-60_000), spans: 4 }, opened, 3, at(10_000))).toBe(true);
    expect(readTraceAgain({ startedAt: at(-60_000), spans: 4 }, opened, 4, at(10_000))).toBe(false);
    expect(readTraceAgain({ startedAt: at(0), spans: 5 }, opened, 4, at(5 * TRACE_YOUNG_MS))).toBe(false);
  });
});
