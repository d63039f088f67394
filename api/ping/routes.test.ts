import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../platform/config';
import { onError } from '../../platform/http/errors';
import { createLogger } from '../../platform/logger';
import { pingRoutes } from './routes';

describe('POST /ping input', () => {
  it('rejects a malformed ping id with 400 naming the field, and starts nothing', async () => {
    const temporal = vi.fn();
    const app = pingRoutes({ config: loadConfig({}), temporal });
    app.onError(onError(createLogger('silent')));
    const res = await app.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pingId: 'has spaces and / slashes' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'pingId' } });
    expect(temporal).not.toHaveBeenCalled();
  });

  it('refuses a body that is not JSON (random bytes) and an unknown field, instead of ignoring them', async () => {
    const temporal = vi.fn();
    const app = pingRoutes({ config: loadConfig({}), temporal });
    app.onError(onError(createLogger('silent')));
    const bytes = await app.request('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0, 159, 255, 1]) });
    expect(bytes.status).toBe(400);
    expect(await bytes.json()).toMatchObject({ error: { code: 'invalid_json', field: 'body' } });
    const unknown = await app.request('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pingid: 'x' }) });
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_field', field: 'pingid' } });
    expect(temporal).not.toHaveBeenCalled();
  });
});
