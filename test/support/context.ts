import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../platform/config';
import { createContext, type Context } from '../../runtime/context';
import { createLogger } from '../../platform/logger';
import { namesOf, newEphemeralEnv, type ResourceNames } from '../../platform/names';

/** The repository root (tests run from anywhere). */
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** A short unique id for test data, so runs never collide with each other or with earlier runs. */
export const uniqueId = (prefix = 't'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * The environment of this test run (test/global-setup.ts makes and provisions it): every topic,
 * queue, key, database and workflow id of the run is scoped to it, so a live system on the same
 * servers never sees the tests' messages, nor they its.
 */
export const testEnv = (): string => inject('tidingsEnv');

/** The resource names of this test run's environment. */
export const testNames = (): ResourceNames => namesOf({ TIDINGS_ENV: testEnv() });

/**
 * Config for a test: the local servers in the run's environment, and a task queue of its own so
 * that each test's worker picks up only that test's tasks.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const env = testEnv();
  return loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    TIDINGS_ENV: env,
    // The run's database even when the caller's shell names another one.
    MYSQL_DATABASE: undefined,
    TEMPORAL_TASK_QUEUE: uniqueId(`tidings-${env}`),
    // Only the ledger tests run the outbox relay (it would outlive each test's worker otherwise);
    // likewise only the chat and purchase tests that need them run the message and purchase relays.
    LEDGER_RELAY_ON_START: 'false',
    MESSAGE_RELAY_ON_START: 'false',
    PURCHASE_RELAY_ON_START: 'false',
    // Fulfillment answers at once unless a test is about its processing time.
    FULFILLMENT_DELAY_MS: '0',
    ...overrides,
  });
}

/** A context over the real servers; close it in afterAll. */
export function testContext(overrides: Record<string, string> = {}): Context {
  const config = testConfig(overrides);
  return createContext(config, createLogger(config.LOG_LEVEL, { test: true }));
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `probe` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, ms = 15_000, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`, { cause: lastError });
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * A consumer group that starts at the current end of `topic`: its offsets are committed there
 * before any member joins, so the group reads only what is produced from now on, and a restarted
 * member resumes exactly where the group left off (use it with `fromBeginning: true`, which then
 * never applies). `fromBeginning: false` alone would skip records on partitions the group had not
 * committed yet when a member restarts.
 */
export async function groupAtEnd(kafka: import('kafkajs').Kafka, groupId: string, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
  } finally {
    await admin.disconnect();
  }
  return groupId;
}

/**
 * An environment of the calling test file's own, provisioned now (topics, queues, database): for a
 * file that runs consumers of a journey another file also tests. Files run side by side, and two
 * consumers on one queue take each other's messages. Tear it down in afterAll.
 */
export function ownEnvironment(): { env: string; teardown: () => void } {
  const env = newEphemeralEnv('test');
  // The environment's own database, even when the caller's shell names another one.
  const { MYSQL_DATABASE: _named, ...inherited } = process.env;
  const provision = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'provision/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...inherited, TIDINGS_ENV: env, LOG_LEVEL: 'warn' },
      stdio: 'inherit',
    });
  provision();
  return { env, teardown: () => provision('--teardown') };
}
