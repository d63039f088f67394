// Vitest global setup: every test run works in an environment of its own (TIDINGS_ENV). scripts/test.sh
// makes one and provisions it before vitest starts (both of its vitest runs share it, and it tears it
// down at the end); a bare `npx vitest run` gets a fresh one here, provisioned and removed afterwards.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ephemeralEnvAge, newEphemeralEnv } from '../platform/names';

declare module 'vitest' {
  export interface ProvidedContext {
    tidingsEnv: string;
  }
}

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const provision = (env: string, ...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'provision/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, TIDINGS_ENV: env, LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });

export default function setup(project: TestProject): (() => void) | undefined {
  const given = process.env.TIDINGS_ENV;
  // Tests never run in the live environment: its consumers would steal their messages.
  if (given && ephemeralEnvAge(given) !== undefined) {
    project.provide('tidingsEnv', given);
    return undefined;
  }
  const env = newEphemeralEnv('test');
  provision(env);
  process.env.TIDINGS_ENV = env;
  project.provide('tidingsEnv', env);
  return () => provision(env, '--teardown');
}
