import { describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config';
import { upBlock } from './up-block';

describe('the start-up block', () => {
  const facts = { roles: ['api', 'gateway', 'worker'], api: 'http://127.0.0.1:3000', gateway: 'ws://127.0.0.1:3001/ws', tracesUp: true, seconds: 14 };

  it('is one block: the time, where everything is, how to sign in and what to try (the trace among it)', () => {
    const text = upBlock(loadConfig({ DEV_SIGN_IN: 'true' }), facts);
    expect(text.match(/Tidings is up/g)).toHaveLength(1);
    expect(text).toContain('── Tidings is up in 14 s (roles: api, gateway, worker) ─');
    expect(text).toContain('Web app       http://127.0.0.1:3000/');
    expect(text).toContain('ws://127.0.0.1:3001/ws');
    expect(text).toContain('http://127.0.0.1:8233');
    expect(text).toMatch(/Sign in .*demo sign-in/);
    expect(text).toContain('open its Trace');
    expect(text).not.toContain('still building');
  });

  it('offers the demo sign-in only where it is on, and says when Jaeger is not answering yet', () => {
    const text = upBlock(loadConfig({}), { ...facts, tracesUp: false });
    expect(text).not.toContain('Sign in');
    expect(text).toContain('still building in the background');
    expect(upBlock(loadConfig({ TRACING: 'false' }), facts)).not.toContain('Traces');
  });
});
