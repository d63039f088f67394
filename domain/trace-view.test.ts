import { describe, expect, it } from 'vitest';
import { purchaseTrace, TRACE_ID } from '../test/support/trace-fixture';
import { traceOwner, traceView, type JaegerTrace } from './trace-view';

describe('traceView: Jaeger JSON as a waterfall', () => {
  it('orders spans parent before child, siblings by start, with depth, offsets and durations in ms', () => {
    const v = traceView(purchaseTrace());
    expect(v.spans.map((s) => [s.name, s.depth, s.startMs, s.durationMs])).toEqual([
      ['POST /purchases', 0, 0, 12.35],
      ['StartWorkflow:purchase', 1, 1, 1.5],
      ['RunWorkflow:purchase', 1, 3, 20],
      ['dev-purchase-requested publish', 2, 5, 0.8],
      ['fulfillment process', 3, 9, 2],
    ]);
    expect(v.traceId).toBe(TRACE_ID);
    expect(v.durationMs).toBe(23);
    expect(v.services).toEqual(['tidings-api', 'tidings-worker', 'tidings-consumers']);
    expect(v.spans[4]).toMatchObject({ service: 'tidings-consumers', parentId: 'w2', kind: 'consumer', error: true, errorMessage: 'stock service timed out' });
  });

  it('keeps the attributes that say what a span was about, and drops the rest (and the user id)', () => {
    const [http, , run] = traceView(purchaseTrace()).spans;
    expect(http!.attributes).toEqual({ 'http.route': '/purchases', 'http.response.status_code': 202 });
    expect(run!.attributes).toEqual({ temporalWorkflowId: 'dev.purchase-1' });
    expect(http!.error).toBe(false);
  });

  it('shows a span whose parent never arrived as a root, and survives references that loop', () => {
    const t = purchaseTrace();
    t.spans = t.spans.filter((s) => s.spanID !== 'a1');
    t.spans.push({ ...t.spans[0]!, spanID: 'x1', references: [{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: 'x2' }] });
    t.spans.push({ ...t.spans[0]!, spanID: 'x2', references: [{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: 'x1' }] });
    const v = traceView(t);
    expect(v.spans).toHaveLength(t.spans.length);
    expect(v.spans.filter((s) => s.depth === 0).map((s) => s.name)).toContain('StartWorkflow:purchase');
  });
});

describe('traceOwner', () => {
  it('is the user of the earliest span naming one, not of a later request that joined the trace', () => {
    const t: JaegerTrace = purchaseTrace('alice');
    expect(traceOwner(t)).toBe('alice');
    t.spans.push({ ...t.spans[1]!, spanID: 'late', startTime: t.spans[1]!.startTime + 50_000, tags: [{ key: 'enduser.id', value: 'bob' }] });
    expect(traceOwner(t)).toBe('alice');
  });

  it('is undefined when no span names a user (a consumer’s or a timer’s own trace)', () => {
    const t = purchaseTrace();
    t.spans = t.spans.filter((s) => s.spanID !== 'a1');
    expect(traceOwner(t)).toBeUndefined();
  });
});
