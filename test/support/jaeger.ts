// Reading traces back from Jaeger's query API (v1 JSON, what its UI uses) in tests.
import type { Config } from '../../platform/config';

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A span with its service name resolved. */
export type Span = JaegerSpan & { service: string };

async function get(config: Config, path: string): Promise<JaegerTrace[]> {
  const res = await fetch(`${config.TRACING_UI_URL}${path}`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`jaeger ${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

const withService = (t: JaegerTrace): Span[] => t.spans.map((s) => ({ ...s, service: t.processes[s.processID]?.serviceName ?? '?' }));

/** Every span of one trace (empty while Jaeger has none of it). */
export async function traceSpans(config: Config, traceId: string): Promise<Span[]> {
  const [t] = await get(config, `/api/traces/${traceId}`);
  return t ? withService(t) : [];
}

/** The ids of the traces of `service` that hold a span tagged `key=value` (the last hour). */
export async function traceIdsTagged(config: Config, service: string, key: string, value: string): Promise<string[]> {
  const tags = encodeURIComponent(JSON.stringify({ [key]: value }));
  const traces = await get(config, `/api/traces?service=${encodeURIComponent(service)}&tags=${tags}&lookback=1h&limit=20`);
  return traces.map((t) => t.traceID);
}

/** A span's tag value. */
export const tag = (s: JaegerSpan, key: string): unknown => s.tags.find((t) => t.key === key)?.value;
