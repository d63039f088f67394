// Carrying a trace across what is not a function call: SNS/SQS message attributes, Kafka headers,
// a MySQL outbox row, a gateway frame. All W3C trace context (`traceparent`, `tracestate`), and all
// no-ops when tracing is off (no propagator is installed, so nothing is injected or extracted).
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context as OtelContext,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type { Role } from './config';
import { tracer, withRole } from './tracing';

type Carrier = Record<string, string>;

/** The W3C trace context of `ctx` (default: the active one) as plain headers; empty when untraced. */
export function traceHeaders(ctx: OtelContext = context.active()): Carrier {
  const carrier: Carrier = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The `traceparent` of the active span, to store with a row that another process sends later. */
export const currentTraceparent = (): string | null => traceHeaders().traceparent ?? null;

/** The trace id a stored `traceparent` names (`00-<trace id>-<span id>-<flags>`), or null. */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  const id = traceparent?.split('-')[1];
  return id && /^[0-9a-f]{32}$/.test(id) ? id : null;
}

/** A context continuing the trace of `headers` (on top of `base`, so a role set there stays). */
export const contextFromHeaders = (headers: Partial<Carrier>, base: OtelContext = context.active()): OtelContext => propagation.extract(base, headers);

/** A context continuing the trace a stored `traceparent` names (the active context when none). */
export const contextFromTraceparent = (traceparent: string | null | undefined, base: OtelContext = context.active()): OtelContext =>
  traceparent ? contextFromHeaders({ traceparent }, base) : base;

/** The span context a stored `traceparent` names, for a link (undefined when none or malformed). */
export function linkTo(traceparent: string | null | undefined): Link | undefined {
  if (!traceparent) return undefined;
  const sc = trace.getSpanContext(contextFromHeaders({ traceparent }, ROOT_CONTEXT));
  return sc ? { context: sc } : undefined;
}

/**
 * Where work about one item (a purchase) belongs: the active span when it is already in the item's
 * trace (a consumer continuing it), else the item's stored trace, linked to the active span (a
 * dispatch or deadline bucket that serves many items at once). Without a stored trace: the active span.
 */
export function continueTrace(traceparent: string | null | undefined): { parent: OtelContext; links: (Link | undefined)[] } {
  const active = context.active();
  const stored = linkTo(traceparent);
  const current = trace.getSpanContext(active);
  if (!stored || (current && current.traceId === stored.context.traceId)) return { parent: active, links: [] };
  return { parent: trace.setSpanContext(active, stored.context), links: current ? [{ context: current }] : [] };
}

/** SNS/SQS message attributes carrying the active trace (raw delivery keeps them from SNS to SQS). */
export function messageTraceAttributes(): Record<string, { DataType: 'String'; StringValue: string }> | undefined {
  const headers = traceHeaders();
  const entries = Object.entries(headers);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, { DataType: 'String' as const, StringValue: v }]));
}

/** The attribute names a receive must ask for to get the trace (SQS returns none by default). */
export const TRACE_ATTRIBUTE_NAMES = ['traceparent', 'tracestate'];

/** A context continuing the trace of a received SQS message's attributes. */
export function contextFromMessageAttributes(attributes: Record<string, { StringValue?: string }> | undefined, base?: OtelContext): OtelContext {
  const headers: Carrier = {};
  for (const name of TRACE_ATTRIBUTE_NAMES) {
    const v = attributes?.[name]?.StringValue;
    if (v) headers[name] = v;
  }
  return contextFromHeaders(headers, base);
}

/** Kafka record headers carrying the active trace. */
export const kafkaTraceHeaders = (): Carrier => traceHeaders();

/** A context continuing the trace of a Kafka record's headers (values arrive as Buffers). */
export function contextFromKafkaHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
  base?: OtelContext,
): OtelContext {
  const carrier: Carrier = {};
  for (const name of TRACE_ATTRIBUTE_NAMES) {
    const v = headers?.[name];
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) carrier[name] = one.toString();
  }
  return contextFromHeaders(carrier, base);
}

export interface SpanSpec {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: (Link | undefined)[];
  /** The parent context (default: the active one). */
  parent?: OtelContext;
  /** The role (service) the span and its children belong to; default: the parent's. */
  role?: Role;
  /** Start a trace of its own (the parent's role still applies), e.g. for work done ahead for later requests. */
  root?: boolean;
}

/** Runs `fn` in a new active span that ends when it settles; a throw marks the span as failed and is rethrown. */
export async function inSpan<T>(name: string, spec: SpanSpec, fn: (span: Span) => Promise<T>): Promise<T> {
  let parent = spec.parent ?? context.active();
  if (spec.role) parent = withRole(parent, spec.role);
  const links = spec.links?.filter((l): l is Link => l !== undefined);
  const span = tracer.startSpan(
    name,
    { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes, root: spec.root, ...(links?.length ? { links } : {}) },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

export { SpanKind };
