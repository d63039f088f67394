import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../platform/config';
import { ROOT } from './support/context';

const run = promisify(execFile);

// There is no Docker engine here; docker-compose v1 still parses and validates the file.
describe('docker-compose.yml', () => {
  it('validates with docker-compose config', async () => {
    const { stderr } = await run('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], { cwd: ROOT });
    expect(stderr).not.toMatch(/invalid|error/i);
  });

  it('has the same servers and the app roles, with two gateways', async () => {
    const { stdout } = await run('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '--services'], { cwd: ROOT });
    const services = stdout.trim().split('\n').sort();
    expect(services).toEqual(
      [
        ...['api', 'consumers', 'gateway-a', 'gateway-b', 'jaeger', 'kafka', 'moto', 'mysql', 'provision', 'redis', 'simulators', 'temporal', 'worker'],
        // The cluster profile's: listed always, started only with --profile cluster.
        ...['postgresql', 'temporal-cluster', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker-2'],
      ].sort(),
    );
  });

  it('pins the versions the local scripts install', async () => {
    const [compose, lib] = await Promise.all([
      readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8'),
      readFile(path.join(ROOT, 'scripts/infra/lib.sh'), 'utf8'),
    ]);
    const pinned = (name: string) => lib.match(new RegExp(`^${name}=(\\S+)$`, 'm'))?.[1];
    expect(compose).toContain(`apache/kafka:${pinned('KAFKA_VERSION')}`);
    expect(compose).toContain(`motoserver/moto:${pinned('MOTO_VERSION')}`);
    expect(compose).toContain(`temporalio/temporal:${pinned('TEMPORAL_BIN_VERSION')}`);
    expect(compose).toContain(`jaegertracing/jaeger:${pinned('JAEGER_VERSION')}`);
    const cluster = await readFile(path.join(ROOT, 'scripts/infra/cluster.sh'), 'utf8');
    const clusterPin = (name: string) => cluster.match(new RegExp(`^${name}=(\\S+)$`, 'm'))?.[1];
    expect(compose).toContain(`temporalio/server:${clusterPin('TEMPORAL_SERVER_VERSION')}`);
    expect(compose).toContain(`temporalio/admin-tools:${clusterPin('TEMPORAL_SERVER_VERSION')}`);
    expect(compose).toContain(`temporalio/ui:${clusterPin('TEMPORAL_UI_SERVER_VERSION')}`);
  });

  it('runs moto through the same launcher as scripts/infra/up.sh and the soak', async () => {
    const c = await resolved();
    const moto = c.services.moto as { entrypoint?: string[]; volumes?: (string | { source?: string; target?: string })[] };
    expect(moto.entrypoint?.slice(0, 2)).toEqual(['python', '/opt/tidings/moto-serve.py']);
    const mounts = (moto.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(mounts.some((m) => m.includes('scripts/infra/moto/serve.py') && m.includes('/opt/tidings/moto-serve.py'))).toBe(true);
    const [up, soakMoto] = await Promise.all([
      readFile(path.join(ROOT, 'scripts/infra/up.sh'), 'utf8'),
      readFile(path.join(ROOT, 'test/support/moto-server.ts'), 'utf8'),
    ]);
    expect(up).toContain('scripts/infra/moto/serve.py');
    expect(soakMoto).toContain('scripts/infra/moto/serve.py');
  });

  /** The resolved compose file (variables substituted), as JSON. */
  async function resolved(env: Record<string, string> = {}) {
    const { stdout } = await run('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config'], { cwd: ROOT, env: { ...process.env, ...env } });
    const child = execFile('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))']);
    const out = new Promise<string>((resolve, reject) => {
      let data = '';
      child.stdout?.on('data', (d: Buffer) => (data += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(data) : reject(new Error(`python3 exited ${code}`))));
    });
    child.stdin?.end(stdout);
    return JSON.parse(await out) as {
      services: Record<string, { build?: unknown; image?: string; profiles?: string[]; environment?: Record<string, string | null> }>;
    };
  }
  const appServices = (c: Awaited<ReturnType<typeof resolved>>) =>
    Object.entries(c.services).filter(([, s]) => s.build !== undefined || s.image === 'tidings-app:local');

  it("every app container's environment passes the typed config as written (docker compose up starts)", async () => {
    const c = await resolved();
    const apps = appServices(c);
    expect(apps.map(([name]) => name).sort()).toEqual(['api', 'consumers', 'gateway-a', 'gateway-b', 'provision', 'simulators', 'worker', 'worker-2']);
    for (const [name, service] of apps) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v ?? undefined]));
      // The image sets NODE_ENV=production; compose's environment overrides it.
      const config = loadConfig({ NODE_ENV: 'production', ...env });
      expect(config.NODE_ENV, name).toBe('development');
      expect(config.TIDINGS_ENV, name).toBe('dev');
      if (name === 'api') expect(config.DEV_SIGN_IN).toBe(true);
    }
  });

  it('with TIDINGS_NODE_ENV=production the development secret is refused, naming JWT_SECRET', async () => {
    const c = await resolved({ TIDINGS_NODE_ENV: 'production', DEV_SIGN_IN: 'false' });
    const [, worker] = appServices(c).find(([name]) => name === 'worker')!;
    const env = Object.fromEntries(Object.entries(worker.environment ?? {}).map(([k, v]) => [k, v ?? undefined]));
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ ...env, JWT_SECRET: 'x'.repeat(40) })).not.toThrow();
  });

  it('the cluster profile (cluster.env) points every app container at the real Temporal server and adds its servers', async () => {
    const env = Object.fromEntries(
      (await readFile(path.join(ROOT, 'scripts/infra/compose/cluster.env'), 'utf8'))
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => l.split('=', 2) as [string, string]),
    );
    const c = await resolved(env);
    for (const [name, service] of appServices(c)) {
      const config = loadConfig(Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v ?? undefined])));
      expect(config.TEMPORAL_ADDRESS, name).toBe('temporal-cluster:7233');
    }
    for (const name of ['postgresql', 'temporal-schema', 'temporal-cluster', 'temporal-namespace', 'temporal-ui', 'worker-2'])
      expect(c.services[name]?.profiles, name).toEqual(['cluster']);
    // Without the profile's file, the dev server as before.
    const plain = await resolved();
    const [, worker] = appServices(plain).find(([name]) => name === 'worker')!;
    expect(worker.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });
});
