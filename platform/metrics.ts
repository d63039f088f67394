import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The process's Prometheus registry: default Node metrics plus what each role adds. */
export const metrics = new Registry();
collectDefaultMetrics({ register: metrics });

/** HTTP request durations, by role, method, matched route and status. */
export const httpDuration = new Histogram({
  name: 'tidings_http_request_duration_seconds',
  help: 'HTTP request duration in seconds',
  labelNames: ['role', 'method', 'route', 'status'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metrics],
});
