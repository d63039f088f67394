// A trace as a person reads it: Jaeger's query-API JSON (the shape its own UI reads) turned into a
// waterfall — spans in tree order, each with its service, offset from the trace's start, duration,
// depth and error — plus who the trace belongs to. Pure: the HTTP route fetches, the web app draws.

/** A span as Jaeger's query API (`/api/traces/<id>`, v1 JSON) answers it; times in microseconds. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; traceID: string; spanID: string }[] | null;
  startTime: number;
  duration: number;
  tags?: { key: string; type?: string; value: unknown }[] | null;
  processID: string;
}

/** One trace of Jaeger's answer. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** One bar of the waterfall. */
export interface TraceSpan {
  spanId: string;
  /** The parent span, when it is in this trace (null for a root, or a parent that never arrived). */
  parentId: string | null;
  /** Nesting level in the waterfall (0: a root). */
  depth: number;
  service: string;
  name: string;
  /** `server`, `client`, `producer`, `consumer` or `internal`. */
  kind: string;
  /** Milliseconds from the start of the trace's first span. */
  startMs: number;
  durationMs: number;
  error: boolean;
  /** What failed, when the span says. */
  errorMessage?: string;
  /** The few attributes that say what a span was about (route, topic, purchase, workflow). */
  attributes: Record<string, string | number | boolean>;
}

export interface TraceView {
  traceId: string;
  startedAt: string;
  durationMs: number;
  /** Every service with a span in the trace, in the order they first took part. */
  services: string[];
  spans: TraceSpan[];
}

/** Attributes worth a reader's eye; the rest (SDK versions, hosts, ids of ids) stays in Jaeger. */
const SHOWN =
  /^(http\.(route|request\.method|response\.status_code)|messaging\.(system|destination\.name|operation\.type|batch\.message_count)|purchase\.|event\.|tidings\.(event|duplicate|sockets)|temporal[A-Z])/;

/** The user behind a trace's requests: the API's server spans carry it. */
export const USER_TAG = 'enduser.id';

const ms = (us: number): number => Math.round(us / 10) / 100;
const tagOf = (s: JaegerSpan, key: string): unknown => s.tags?.find((t) => t.key === key)?.value;
const scalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Who a trace belongs to: the user of its earliest span that names one (the request that started
 * the journey). Later requests that join the trace (a caller sending this trace's `traceparent`)
 * never take it over. Undefined when no span names a user (a consumer's or a timer's own trace).
 */
export function traceOwner(t: JaegerTrace): string | undefined {
  let owner: { at: number; user: string } | undefined;
  for (const s of t.spans) {
    const user = tagOf(s, USER_TAG);
    if (typeof user === 'string' && (!owner || s.startTime < owner.at)) owner = { at: s.startTime, user };
  }
  return owner?.user;
}

/** The waterfall of a trace: parents before children, siblings by start time. */
export function traceView(t: JaegerTrace): TraceView {
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const parentOf = (s: JaegerSpan): string | null => {
    const ref = s.references?.find((r) => r.refType === 'CHILD_OF' && r.traceID === s.traceID && byId.has(r.spanID));
    return ref ? ref.spanID : null;
  };
  const children = new Map<string | null, JaegerSpan[]>();
  for (const s of t.spans) {
    const p = parentOf(s);
    children.set(p, [...(children.get(p) ?? []), s]);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime || a.spanID.localeCompare(b.spanID));
  const start = t.spans.length ? Math.min(...t.spans.map((s) => s.startTime)) : 0;
  const end = t.spans.length ? Math.max(...t.spans.map((s) => s.startTime + s.duration)) : 0;
  const service = (s: JaegerSpan) => t.processes[s.processID]?.serviceName ?? 'unknown';

  const spans: TraceSpan[] = [];
  const seen = new Set<string>();
  const visit = (s: JaegerSpan, depth: number) => {
    if (seen.has(s.spanID)) return; // a malformed trace whose references loop
    seen.add(s.spanID);
    const error = tagOf(s, 'error') === true || tagOf(s, 'otel.status_code') === 'ERROR';
    const message = tagOf(s, 'otel.status_description');
    spans.push({
      spanId: s.spanID,
      parentId: parentOf(s),
      depth,
      service: service(s),
      name: s.operationName,
      kind: String(tagOf(s, 'span.kind') ?? 'internal'),
      startMs: ms(s.startTime - start),
      durationMs: ms(s.duration),
      error,
      ...(error && typeof message === 'string' && message ? { errorMessage: message } : {}),
      attributes: Object.fromEntries(
        (s.tags ?? []).filter((tg) => SHOWN.test(tg.key) && scalar(tg.value)).map((tg) => [tg.key, tg.value as string | number | boolean]),
      ),
    });
    for (const c of children.get(s.spanID) ?? []) visit(c, depth + 1);
  };
  for (const root of children.get(null) ?? []) visit(root, 0);
  // Spans only reachable through a reference loop: shown flat rather than lost.
  for (const s of t.spans) visit(s, 0);

  const services: string[] = [];
  for (const s of [...spans].sort((a, b) => a.startMs - b.startMs)) if (!services.includes(s.service)) services.push(s.service);
  return {
    traceId: t.traceID,
    startedAt: new Date(Math.floor(start / 1000)).toISOString(),
    durationMs: ms(end - start),
    services,
    spans,
  };
}
