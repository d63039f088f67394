import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { signToken } from '../platform/auth/jwt';
import { loadConfig } from '../platform/config';
import { eventually, freePort, ROOT, testEnv } from './support/context';

const MAIN = path.join(ROOT, 'main.ts');

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      TIDINGS_ENV: testEnv(),
      LOG_LEVEL: 'info',
      SELF_CHECK_ON_START: 'false',
      LEDGER_RELAY_ON_START: 'false',
      KAFKA_GROUP_PREFIX: `main-test-${Date.now()}`,
      KAFKA_NEW_GROUP_FROM: 'latest',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

// The real entry point as a process: roles from one variable, URLs printed, SIGTERM drains cleanly.
describe('main.ts', () => {
  it('runs the roles named in TIDINGS_ROLES and shuts down cleanly on SIGTERM', async () => {
    const [apiPort, gatewayPort] = await Promise.all([freePort(), freePort()]);
    const { child, output } = startMain({
      TIDINGS_ROLES: 'api,gateway,worker',
      API_PORT: String(apiPort),
      GATEWAY_PORT: String(gatewayPort),
      TEMPORAL_TASK_QUEUE: `tidings-main-test-${apiPort}`,
    });
    try {
      await eventually(async () => output().includes('Tidings is up'), 60_000);
      expect(output()).toContain(`http://127.0.0.1:${apiPort}`);
      expect(output()).toContain(`ws://127.0.0.1:${gatewayPort}/ws`);
      expect(output()).toContain('http://127.0.0.1:8233');
      const health = await fetch(`http://127.0.0.1:${apiPort}/health`);
      expect(health.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${apiPort}/ready`);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      expect((await fetch(`http://127.0.0.1:${gatewayPort}/health`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${gatewayPort}/ready`)).json()).toMatchObject({ status: 'ready' });
      // The gateway role accepts an authenticated WebSocket and welcomes it.
      const token = await signToken(loadConfig({}), 'main-test-user');
      const ws = new WebSocket(`ws://127.0.0.1:${gatewayPort}/ws?access_token=${token}`);
      const welcome = await new Promise<Record<string, unknown>>((resolve, reject) => {
        ws.once('message', (d) => resolve(JSON.parse(d.toString()) as Record<string, unknown>));
        ws.once('error', reject);
      });
      expect(welcome).toMatchObject({ type: 'welcome', userId: 'main-test-user' });
      ws.close();
      // consumers was not asked for
      expect(output()).not.toContain('"consumers"');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(output()).toContain('shutting down');
  });

  it('refuses to start with a malformed variable, naming it', async () => {
    const { child, output } = startMain({ API_PORT: 'not-a-port' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output()).toMatch(/API_PORT/);
  });
});
