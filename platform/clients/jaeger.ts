// Reading one trace back from Jaeger's query API (`/api/traces/<id>`, the JSON its own UI reads),
// for the web app's trace view. Jaeger down, slow or failing is a 503 to the caller (retry later),
// never a 500: the journeys themselves never wait on it.
import type { Config } from '../config';
import { DependencyUnavailableError } from '../dependency-errors';
import type { JaegerTrace } from '../../domain/trace-view';

/** A trace by id; undefined when Jaeger has none of it (unknown, not arrived yet, or evicted). */
export type TraceReader = (traceId: string) => Promise<JaegerTrace | undefined>;

/** Reads traces from the Jaeger at `TRACING_UI_URL`, each read bounded by `timeoutMs`. */
export function jaegerTraceReader(config: Pick<Config, 'TRACING_UI_URL'>, { timeoutMs = 5_000 }: { timeoutMs?: number } = {}): TraceReader {
  const base = config.TRACING_UI_URL.replace(/\/$/, '');
  return async (traceId) => {
    let res: Response;
    try {
      res = await fetch(`${base}/api/traces/${encodeURIComponent(traceId)}`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      // Refused, unreachable, or no answer in time.
      throw new DependencyUnavailableError('jaeger', { cause: err });
    }
    if (res.status === 404) return undefined;
    if (res.status >= 500) throw new DependencyUnavailableError('jaeger', { cause: new Error(`jaeger answered ${res.status}: ${await res.text()}`) });
    if (!res.ok) throw new Error(`jaeger /api/traces/${traceId} answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { data?: JaegerTrace[] | null };
    const trace = body.data?.[0];
    return trace && trace.spans.length > 0 ? trace : undefined;
  };
}
