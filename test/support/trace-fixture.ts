// A small trace in Jaeger's query-API shape (a purchase's first hops across three services), for
// the trace view's unit tests.
import type { JaegerSpan, JaegerTrace } from '../../domain/trace-view';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const T0 = 1_780_000_000_000_000; // µs

const span = (
  spanID: string,
  parent: string | null,
  processID: string,
  operationName: string,
  startUs: number,
  durationUs: number,
  tags: JaegerSpan['tags'] = [],
): JaegerSpan => ({
  traceID: TRACE_ID,
  spanID,
  operationName,
  references: parent ? [{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: parent }] : [],
  startTime: T0 + startUs,
  duration: durationUs,
  tags,
  processID,
});

/** POST /purchases by `user` → run → SNS publish → fulfillment (which failed once). */
export function purchaseTrace(user = 'alice'): JaegerTrace {
  return {
    traceID: TRACE_ID,
    processes: { p1: { serviceName: 'tidings-api' }, p2: { serviceName: 'tidings-worker' }, p3: { serviceName: 'tidings-consumers' } },
    spans: [
      // Out of order on purpose: Jaeger answers in no particular order.
      span('c1', 'w2', 'p3', 'fulfillment process', 9_000, 2_000, [
        { key: 'error', type: 'bool', value: true },
        { key: 'otel.status_code', type: 'string', value: 'ERROR' },
        { key: 'otel.status_description', type: 'string', value: 'stock service timed out' },
        { key: 'span.kind', type: 'string', value: 'consumer' },
      ]),
      span('a1', null, 'p1', 'POST /purchases', 0, 12_345, [
        { key: 'enduser.id', type: 'string', value: user },
        { key: 'http.route', type: 'string', value: '/purchases' },
        { key: 'http.response.status_code', type: 'int64', value: 202 },
        { key: 'span.kind', type: 'string', value: 'server' },
        { key: 'host.name', type: 'string', value: 'not shown' },
      ]),
      span('w1', 'a1', 'p2', 'RunWorkflow:purchase', 3_000, 20_000, [{ key: 'temporalWorkflowId', type: 'string', value: 'dev.purchase-1' }]),
      span('a2', 'a1', 'p1', 'StartWorkflow:purchase', 1_000, 1_500),
      span('w2', 'w1', 'p2', 'dev-purchase-requested publish', 5_000, 800, [
        { key: 'messaging.destination.name', type: 'string', value: 'dev-purchase-requested' },
      ]),
    ],
  };
}
