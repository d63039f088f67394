import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort, testContext } from '../test/support/context';
import type { Context } from '../runtime/context';
import { checkReadiness, dependencyChecks } from './health';

describe('dependency checks (real servers)', () => {
  const contexts: Context[] = [];
  let redis: ChildProcess | undefined;
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.lifecycle.close()));
    redis?.kill('SIGKILL');
  });

  it('every local server answers', async () => {
    const ctx = testContext();
    contexts.push(ctx);
    const r = await checkReadiness(dependencyChecks(ctx), 5_000);
    expect(r.failed).toEqual([]);
    expect(Object.keys(r.checks).sort()).toEqual(['kafka', 'mysql', 'redis', 'sns-sqs', 'temporal']);
  });

  it('names Redis when it dies and recovers when it returns, without a restart', async () => {
    // A Redis of this test's own, so killing it disturbs nothing else.
    const port = await freePort();
    const startRedis = async () => {
      const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      return child;
    };
    redis = await startRedis();
    const ctx = testContext({ REDIS_URL: `redis://127.0.0.1:${port}` });
    contexts.push(ctx);
    const checks = dependencyChecks(ctx);
    await eventually(async () => (await checkReadiness(checks, 2_000)).ready);

    redis.kill('SIGKILL');
    await once(redis, 'exit');
    const down = await checkReadiness(checks, 2_000);
    expect(down.ready).toBe(false);
    expect(down.failed).toEqual(['redis']);

    redis = await startRedis();
    const back = await eventually(async () => {
      const r = await checkReadiness(checks, 2_000);
      return r.ready && r;
    });
    expect(back.failed).toEqual([]);
  });
});
