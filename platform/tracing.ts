// OpenTelemetry for every process: one tracer provider per role (so Jaeger shows `tidings-api`,
// `tidings-worker`, `tidings-consumers`, `tidings-gateway`, `tidings-simulators` even when one
// process runs them all), W3C trace context, a cheap sampler and a batching OTLP/HTTP exporter.
// Spans carry their trace across the brokers through the helpers in platform/trace-context.ts.
// Off (`TRACING=false`) nothing is installed and every helper is a no-op.
import { context, createContextKey, propagation, trace, type Context as OtelContext, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { Config, Role } from './config';
import type { Logger } from './logger';

/** The service name of a role in the trace backend. */
export const serviceName = (role: Role): string => `tidings-${role}`;

const ROLE = createContextKey('tidings.role');

/** A context whose new spans belong to `role` (entry points: an HTTP request, a consumed message, an activity). */
export const withRole = (ctx: OtelContext, role: Role): OtelContext => ctx.setValue(ROLE, role);

interface Installed {
  providers: Map<Role, NodeTracerProvider>;
  processors: Map<Role, BatchSpanProcessor>;
  resources: Map<Role, Resource>;
  fallback: Role;
  /** Shared by every role's processor; holds the spans of failed exports until one succeeds. */
  exporter: QuietExporter;
}
let installed: Installed | undefined;

/**
 * Never throws, and keeps what a trace backend that does not answer yet could not take: on a first
 * `npm start` Jaeger is still being built in the background (scripts/infra/start-jaeger.sh), so the
 * spans of a failed export wait (the newest `maxWaiting`, older ones dropped) and go out with the
 * next export that succeeds. Logs the first failure, and the first success (when tracing starts
 * reaching the backend) and the first after a failure, once each: a backend that is down must not
 * fill the logs or break a request.
 */
export class QuietExporter implements SpanExporter {
  private failing = false;
  private started = false;
  private waiting: ReadableSpan[] = [];
  constructor(
    private readonly inner: SpanExporter,
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    private readonly target = 'the trace backend',
    private readonly maxWaiting = 2048,
  ) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    // Several batch processors share this exporter: each call takes the spans waiting so far.
    const batch = this.waiting.length > 0 ? [...this.waiting, ...spans] : spans;
    this.waiting = [];
    const settle = (r: ExportResult) => {
      if (r.code !== ExportResultCode.SUCCESS) this.keep(batch);
      this.note(r, batch.length);
      done(r);
    };
    try {
      this.inner.export(batch, settle);
    } catch (err) {
      settle({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }
  /** Spans waiting for the backend to answer. */
  get waitingCount(): number {
    return this.waiting.length;
  }
  private keep(batch: ReadableSpan[]): void {
    const all = this.waiting.length > 0 ? [...batch, ...this.waiting] : batch;
    this.waiting = all.length > this.maxWaiting ? all.slice(all.length - this.maxWaiting) : all;
  }
  private note(r: ExportResult, sent: number): void {
    if (r.code !== ExportResultCode.SUCCESS && !this.failing) {
      this.failing = true;
      this.log.warn(
        { err: r.error, target: this.target },
        `trace export failed: the trace backend does not answer (on a first run Jaeger may still be building); the newest ${this.maxWaiting} spans wait and are sent when it answers (logged once)`,
      );
    } else if (r.code === ExportResultCode.SUCCESS && (this.failing || !this.started)) {
      this.log.info({ target: this.target, spans: sent }, this.started ? 'trace export works again' : `tracing: exporting spans to ${this.target}`);
      this.failing = false;
      this.started = true;
    }
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  /** Sends what waits from an earlier failed export too: a flush before shutdown or a check must not leave it behind. */
  async forceFlush(): Promise<void> {
    if (this.waiting.length > 0) await new Promise<void>((resolve) => this.export([], () => resolve()));
    await this.inner.forceFlush?.();
  }
}

/**
 * Installs tracing for this process once (later calls with the same process are no-ops): the
 * context manager (AsyncLocalStorage), the W3C propagator, and a provider per role. Returns false
 * when tracing is off.
 */
export function installTracing(config: Config, log: Logger): boolean {
  if (!config.TRACING) return false;
  if (installed) return true;
  const quietLog = log.child({ component: 'tracing' });
  const providers = new Map<Role, NodeTracerProvider>();
  const processors = new Map<Role, BatchSpanProcessor>();
  const resources = new Map<Role, Resource>();
  // Parent-based: a trace is kept or dropped whole, decided once at its root.
  const sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.TRACING_SAMPLE_RATIO) });
  // One exporter for every role (each span carries its role's resource): one connection, and a
  // backend that is down is logged once per process, not once per role.
  const exporter = new QuietExporter(new OTLPTraceExporter({ url: config.TRACING_OTLP_URL, timeoutMillis: 2_000 }), quietLog, config.TRACING_OTLP_URL);
  for (const role of ['api', 'gateway', 'worker', 'consumers', 'simulators'] as const) {
    const resource = resourceFromAttributes({ 'service.name': serviceName(role), 'deployment.environment': config.TIDINGS_ENV, 'tidings.role': role });
    // Batches keep the request path free of export work; a full queue drops spans, never blocks.
    const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500, maxExportBatchSize: 512, maxQueueSize: 4096 });
    const provider = new NodeTracerProvider({ resource, sampler, spanProcessors: [processor] });
    providers.set(role, provider);
    processors.set(role, processor);
    resources.set(role, resource);
  }
  const fallback = config.TIDINGS_ROLES[0] as Role;
  // One provider registers the process-wide context manager and propagator; the others are reached
  // through `tracer()` below.
  providers.get(fallback)!.register({ propagator: new W3CTraceContextPropagator() });
  installed = { providers, processors, resources, fallback, exporter };
  return true;
}

/** True when tracing is installed in this process. */
export const tracingOn = (): boolean => installed !== undefined;

/**
 * The span processor and resource of a role (the worker's workflow span sink exports through them).
 * The processor takes spans in the SDK 1.x shape too: @temporalio/interceptors-opentelemetry 1.24
 * builds the workflow spans with OpenTelemetry JS 1.x in the sandbox and hands them over with
 * `parentSpanId` and `instrumentationLibrary`, which the 2.x exporter reads as `parentSpanContext`
 * and `instrumentationScope` (without this, every workflow span would arrive as a root).
 */
export function roleExport(role: Role): { processor: WorkflowSinkArgs[0]; resource: WorkflowSinkArgs[1] } | undefined {
  if (!installed) return undefined;
  // Typed as the sink's (1.x) parameters: the adapter takes either shape, the resource is read-only data.
  const processor = new SdkV1SpanAdapter(installed.processors.get(role)!) as unknown as WorkflowSinkArgs[0];
  return { processor, resource: installed.resources.get(role)! as unknown as WorkflowSinkArgs[1] };
}

/** makeWorkflowExporter(spanProcessor, resource), typed with the SDK 1.x the interceptors build on. */
type WorkflowSinkArgs = Parameters<typeof makeWorkflowExporter>;

/** A span as OpenTelemetry JS 1.x made it (the fields 2.x renamed). */
type SdkV1Span = ReadableSpan & { parentSpanId?: string; instrumentationLibrary?: ReadableSpan['instrumentationScope'] };

/** Passes 1.x-shaped spans on in the 2.x shape (see roleExport); 2.x spans go through unchanged. */
export class SdkV1SpanAdapter implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    const old = span as SdkV1Span;
    if (old.instrumentationScope && (old.parentSpanContext || !old.parentSpanId)) return this.inner.onEnd(span);
    const { traceId, traceFlags } = span.spanContext();
    this.inner.onEnd({
      ...span,
      spanContext: () => span.spanContext(),
      instrumentationScope: old.instrumentationScope ?? old.instrumentationLibrary ?? { name: 'unknown' },
      parentSpanContext: old.parentSpanContext ?? (old.parentSpanId ? { traceId, spanId: old.parentSpanId, traceFlags, isRemote: true } : undefined),
    });
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return Promise.resolve(); // the role's own processor is shut down with its provider
  }
}

/**
 * Sends every finished span now (tests, shutdown). Never rejects: a failed export is already
 * logged (once) by the exporter, and a trace backend that is down must not fail a shutdown.
 */
export async function flushTracing(): Promise<void> {
  if (!installed) return;
  await Promise.allSettled([...installed.providers.values()].map((p) => p.forceFlush()));
  // A processor's flush exports its own queue only, never what the exporter kept from a failure.
  await installed.exporter.forceFlush().catch(() => undefined);
}

function roleOf(ctx: OtelContext): Role | undefined {
  const role = ctx.getValue(ROLE) as Role | undefined;
  if (role) return role;
  // A child belongs to its parent's service unless its context names a role.
  const parent = trace.getSpan(ctx) as (Span & { resource?: Resource }) | undefined;
  return parent?.resource?.attributes['tidings.role'] as Role | undefined;
}

/** The tracer of one role; a no-op tracer when tracing is off. */
export function roleTracer(role: Role): Tracer {
  return installed ? installed.providers.get(role)!.getTracer('tidings') : trace.getTracer('tidings');
}

/**
 * A tracer that starts each span in the provider of the role its context belongs to: shared code
 * (services, stores, the Temporal client) runs in several roles and needs no tracer of its own.
 */
class RoleRoutingTracer implements Tracer {
  private pick(ctx: OtelContext): Tracer {
    if (!installed) return trace.getTracer('tidings');
    return roleTracer(roleOf(ctx) ?? installed.fallback);
  }
  startSpan(name: string, options?: SpanOptions, ctx: OtelContext = context.active()): Span {
    return this.pick(ctx).startSpan(name, options, ctx);
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: OtelContext, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a: SpanOptions | F, b?: OtelContext | F, c?: F): ReturnType<F> {
    const fn = (c ?? (typeof b === 'function' ? b : a)) as F;
    const options = typeof a === 'function' ? {} : a;
    const ctx = b !== undefined && typeof b !== 'function' ? b : context.active();
    const span = this.startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>;
  }
}

/** The tracer for code that runs in any role. */
export const tracer: Tracer = new RoleRoutingTracer();

/** The propagation API, for the carriers in trace-context.ts. */
export { propagation };
