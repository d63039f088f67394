import { trace, type Span } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from './config';
import { contextFromKafkaHeaders, contextFromMessageAttributes, continueTrace, currentTraceparent, inSpan, messageTraceAttributes } from './trace-context';
import type { Logger } from './logger';
import { flushTracing, installTracing, QuietExporter, SdkV1SpanAdapter, withRole } from './tracing';
import { tracingWorkerOptions, workflowInterceptorModules, WORKFLOW_TRACING_MODULES } from '../worker';

const serviceOf = (s: Span) => (s as unknown as ReadableSpan).resource.attributes['service.name'];

const span = (name: string) => ({ name }) as unknown as ReadableSpan;

/** A trace backend that refuses every export until `up`, then records the span names it is sent. */
function backendDownThenUp() {
  const backend = {
    up: false,
    sent: [] as string[][],
    exporter: {
      export: (s, done) => {
        if (backend.up) backend.sent.push(s.map((x) => x.name));
        done(backend.up ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error('ECONNREFUSED') });
      },
      shutdown: () => Promise.resolve(),
    } as SpanExporter,
  };
  return backend;
}

describe('QuietExporter', () => {
  it('logs the first failure and the first success after it, never throws', () => {
    let result: ExportResult = { code: ExportResultCode.FAILED, error: new Error('ECONNREFUSED') };
    const inner: SpanExporter = { export: (_s, done) => done(result), shutdown: () => Promise.resolve() };
    const log = { warn: vi.fn(), info: vi.fn() };
    const e = new QuietExporter(inner, log);
    const done = vi.fn();
    for (let i = 0; i < 3; i++) e.export([], done);
    expect(log.warn).toHaveBeenCalledTimes(1);
    result = { code: ExportResultCode.SUCCESS };
    e.export([], done);
    e.export([], done);
    expect(log.info).toHaveBeenCalledTimes(1);
    const throwing = new QuietExporter(
      {
        export: () => {
          throw new Error('boom');
        },
        shutdown: () => Promise.resolve(),
      },
      log,
    );
    expect(() => throwing.export([], done)).not.toThrow();
    expect(done).toHaveBeenLastCalledWith(expect.objectContaining({ code: ExportResultCode.FAILED }));
  });

  it('keeps the spans of failed exports (the newest, bounded) and sends them with the first export that succeeds', () => {
    const backend = backendDownThenUp();
    const log = { warn: vi.fn(), info: vi.fn() };
    const e = new QuietExporter(backend.exporter, log, 'http://jaeger', 3);
    e.export([span('a'), span('b')], vi.fn());
    e.export([span('c'), span('d')], vi.fn());
    expect(e.waitingCount).toBe(3);
    backend.up = true;
    e.export([span('e')], vi.fn());
    expect(backend.sent).toEqual([['b', 'c', 'd', 'e']]);
    expect(e.waitingCount).toBe(0);
    expect(log.info).toHaveBeenCalledWith(expect.objectContaining({ spans: 4 }), 'tracing: exporting spans to http://jaeger');
  });

  it('a flush sends the spans kept from a failed export, without waiting for new ones', async () => {
    const backend = backendDownThenUp();
    const e = new QuietExporter(backend.exporter, { warn: vi.fn(), info: vi.fn() });
    e.export([span('a')], vi.fn());
    backend.up = true;
    await e.forceFlush();
    expect(backend.sent).toEqual([['a']]);
    expect(e.waitingCount).toBe(0);
    await e.forceFlush(); // nothing waiting: nothing sent
    expect(backend.sent).toEqual([['a']]);
  });

  it('says when tracing starts reaching the backend, once', () => {
    const inner: SpanExporter = { export: (_s, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() };
    const log = { warn: vi.fn(), info: vi.fn() };
    const e = new QuietExporter(inner, log, 'http://jaeger');
    e.export([], vi.fn());
    e.export([], vi.fn());
    expect(log.info).toHaveBeenCalledTimes(1);
    expect(log.info).toHaveBeenCalledWith(expect.anything(), 'tracing: exporting spans to http://jaeger');
  });
});

describe('SdkV1SpanAdapter', () => {
  it("hands the workflow sink's 1.x-shaped spans on with the 2.x parent and scope; 2.x spans unchanged", () => {
    const got: ReadableSpan[] = [];
    const inner = { onEnd: (s: ReadableSpan) => got.push(s), forceFlush: () => Promise.resolve() } as unknown as SpanProcessor;
    const adapter = new SdkV1SpanAdapter(inner);
    const ctx = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    const v1 = { name: 'RunWorkflow:purchase', spanContext: () => ctx, parentSpanId: 'c'.repeat(16), instrumentationLibrary: { name: 'temporal' } };
    adapter.onEnd(v1 as unknown as ReadableSpan);
    expect(got[0]?.parentSpanContext).toEqual({ traceId: ctx.traceId, spanId: 'c'.repeat(16), traceFlags: 1, isRemote: true });
    expect(got[0]?.instrumentationScope).toEqual({ name: 'temporal' });
    expect(got[0]?.spanContext()).toBe(ctx);
    const v2 = { name: 'x', spanContext: () => ctx, instrumentationScope: { name: 'tidings' } } as unknown as ReadableSpan;
    adapter.onEnd(v2);
    expect(got[1]).toBe(v2);
  });
});

describe('tracing in one process', () => {
  // Installed once for this file's process; nothing listens on the port, so exports fail quietly.
  const warn = vi.fn();
  const log = { child: () => ({ warn, info: vi.fn() }) } as unknown as Logger;
  installTracing(loadConfig({ TRACING: 'true', TRACING_OTLP_URL: 'http://127.0.0.1:9/v1/traces', TIDINGS_ROLES: 'api' }), log);

  it('a trace backend that is down: spans of every role wait, one warning for the process, nothing thrown', async () => {
    for (const role of ['api', 'worker', 'consumers'] as const) await inSpan(`${role} work`, { role }, async () => undefined);
    await flushTracing();
    await inSpan('more', { role: 'gateway' }, async () => undefined);
    await flushTracing();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('the worker compiles the workflow tracing interceptors into its bundle and exports their spans', () => {
    const options = tracingWorkerOptions();
    expect(workflowInterceptorModules()).toEqual(WORKFLOW_TRACING_MODULES);
    expect(WORKFLOW_TRACING_MODULES).toHaveLength(1);
    expect(options.sinks?.exporter).toBeDefined();
  });

  it('names each span after the role of its entry point; children inherit it, a new role switches it', async () => {
    await inSpan('request', { role: 'consumers' }, async (root) => {
      expect(serviceOf(root)).toBe('tidings-consumers');
      await inSpan('child', {}, async (child) => {
        expect(serviceOf(child)).toBe('tidings-consumers');
        expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
      });
      await inSpan('gateway part', { role: 'gateway' }, async (other) => expect(serviceOf(other)).toBe('tidings-gateway'));
    });
    // No role anywhere: the process's first role.
    await inSpan('plain', {}, async (s) => expect(serviceOf(s)).toBe('tidings-api'));
    expect(withRole).toBeTypeOf('function');
  });

  it('carries the trace through SQS attributes, Kafka headers and a stored traceparent', async () => {
    await inSpan('producer', {}, async (span) => {
      const traceId = span.spanContext().traceId;
      const attrs = messageTraceAttributes();
      expect(attrs?.traceparent?.StringValue).toContain(traceId);
      expect(trace.getSpanContext(contextFromMessageAttributes(attrs))?.traceId).toBe(traceId);
      const headers = { traceparent: Buffer.from(attrs!.traceparent!.StringValue) };
      expect(trace.getSpanContext(contextFromKafkaHeaders(headers))?.traceId).toBe(traceId);
      expect(currentTraceparent()).toBe(attrs!.traceparent!.StringValue);
    });
  });

  it('continueTrace: stays in the active span when it is the item trace, else parents on the stored trace with a link', async () => {
    let stored = '';
    await inSpan('request', {}, async () => {
      stored = currentTraceparent()!;
      expect(continueTrace(stored).links).toEqual([]);
    });
    await inSpan('bucket', {}, async (bucket) => {
      const { parent, links } = continueTrace(stored);
      expect(trace.getSpanContext(parent)?.traceId).toBe(stored.split('-')[1]);
      expect(links[0]?.context.spanId).toBe(bucket.spanContext().spanId);
    });
  });
});
