import { createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { asUser, config } from '../../test/support/routes';
import { traceRoutes } from './routes';
import { purchaseTrace, TRACE_ID } from '../../test/support/trace-fixture';

// In process, with Jaeger's answer handed in; test/cross-user.e2e.test.ts and
// test/web-traces.test.ts read real traces from the running Jaeger.
describe('/traces/:traceId in process', () => {
  const reading = (trace = purchaseTrace('alice')) => vi.fn((id: string) => Promise.resolve(id === TRACE_ID ? trace : undefined));

  it('answers the caller’s own trace as a waterfall, with its services and a link to Jaeger', async () => {
    const traces = reading();
    const res = await asUser(traceRoutes({ config, traces }), 'alice').request(`/${TRACE_ID.toUpperCase()}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { traceId: string; services: string[]; spans: { name: string; service: string }[]; jaegerUi: string };
    expect(traces).toHaveBeenCalledWith(TRACE_ID); // upper case accepted, asked for as Jaeger writes it
    expect(body.services).toEqual(['tidings-api', 'tidings-worker', 'tidings-consumers']);
    expect(body.spans[0]).toMatchObject({ name: 'POST /purchases', service: 'tidings-api', depth: 0, startMs: 0 });
    expect(body.jaegerUi).toBe(`${config.TRACING_UI_URL}/trace/${TRACE_ID}`);
  });

  it('another user’s trace is 404, shaped exactly like a trace Jaeger does not have', async () => {
    const traces = reading();
    const foreign = await asUser(traceRoutes({ config, traces }), 'bob').request(`/${TRACE_ID}`);
    const unknown = await asUser(traceRoutes({ config, traces }), 'bob').request(`/${'0'.repeat(32)}`);
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    const [f, u] = (await Promise.all([foreign.json(), unknown.json()])) as { error: Record<string, unknown> }[];
    expect(f!.error).toMatchObject({ code: 'not_found', field: 'traceId' });
    expect(Object.keys(f!.error).sort()).toEqual(Object.keys(u!.error).sort());
    expect(JSON.stringify(f)).not.toContain('tidings-api');
  });

  it('a trace no request of a user started (a consumer’s own) is nobody’s: 404', async () => {
    const t = purchaseTrace();
    t.spans = t.spans.filter((s) => s.spanID !== 'a1');
    const res = await asUser(traceRoutes({ config, traces: reading(t) }), 'alice').request(`/${TRACE_ID}`);
    expect(res.status).toBe(404);
  });

  it('a malformed trace id is 400 naming traceId, and Jaeger is not asked', async () => {
    const traces = reading();
    for (const bad of ['abc', 'g'.repeat(32), '0'.repeat(33), `${'0'.repeat(31)}%20`]) {
      const res = await asUser(traceRoutes({ config, traces })).request(`/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'traceId' } });
    }
    expect(traces).not.toHaveBeenCalled();
  });

  it('Jaeger unreachable is 503 with Retry-After, naming it', async () => {
    // A port just freed (not the unit config's port 9: fetch refuses that one before connecting).
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const res = await asUser(traceRoutes({ config: { TRACING_UI_URL: `http://127.0.0.1:${port}` } })).request(`/${TRACE_ID}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ error: { code: 'dependency_unavailable', dependency: 'jaeger' } });
  });
});
