import { describe, expect, it } from 'vitest';
import { opsRoutes } from './ops';

const up = async () => 'ok';
const down = async () => {
  throw new Error('connection refused');
};
const hangs = () => new Promise(() => undefined);

describe('ops routes', () => {
  it('/health answers while dependencies are down', async () => {
    const app = opsRoutes({ role: 'api', checks: { kafka: down }, timeoutMs: 100 });
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', role: 'api' });
  });

  it('/ready is 200 when every dependency answers', async () => {
    const app = opsRoutes({ role: 'api', checks: { kafka: up, redis: up }, timeoutMs: 100 });
    const res = await app.request('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', checks: { kafka: { ok: true }, redis: { ok: true } } });
  });

  it('/ready is 503 naming the failed and the hanging dependency', async () => {
    const app = opsRoutes({ role: 'api', checks: { kafka: down, redis: up, mysql: hangs }, timeoutMs: 50 });
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { failed: string[]; error: { message: string }; checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.failed.sort()).toEqual(['kafka', 'mysql']);
    expect(body.error.message).toBe('not ready: kafka, mysql unavailable');
    expect(body.checks.kafka?.error).toBe('connection refused');
    expect(body.checks.mysql?.error).toMatch(/timed out/);
    expect(body.checks.redis?.ok).toBe(true);
  });

  it('/metrics serves Prometheus text', async () => {
    const app = opsRoutes({ role: 'api', checks: {}, timeoutMs: 100 });
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await res.text()).toMatch(/process_cpu_user_seconds_total/);
  });
});
