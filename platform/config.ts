import { z } from 'zod';

/** Roles one process can run; `TIDINGS_ROLES` picks any subset, all by default. */
export const ROLES = ['api', 'gateway', 'worker', 'consumers'] as const;
export type Role = (typeof ROLES)[number];

const port = z.coerce.number().int().min(0).max(65535);
const csv = (allowed?: readonly string[]) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(allowed ? z.array(z.enum(allowed as [string, ...string[]])).min(1) : z.array(z.string()).min(1));

// Every variable the system reads, with defaults that point at the local servers of scripts/infra.
const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  TIDINGS_ROLES: csv(ROLES).default([...ROLES]),
  HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  GATEWAY_PORT: port.default(3001),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('tidings'),
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),

  KAFKA_BROKERS: csv().default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().default('tidings'),

  AWS_ENDPOINT: z.url().default('http://127.0.0.1:4566'),
  AWS_REGION: z.string().default('us-east-1'),
  AWS_ACCESS_KEY_ID: z.string().default('test'),
  AWS_SECRET_ACCESS_KEY: z.string().default('test'),
  AWS_ACCOUNT_ID: z.string().default('123456789012'),

  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),

  MYSQL_HOST: z.string().default('127.0.0.1'),
  MYSQL_PORT: port.default(3306),
  MYSQL_USER: z.string().default('tidings'),
  MYSQL_PASSWORD: z.string().default('tidings'),
  MYSQL_DATABASE: z.string().default('tidings'),
  MYSQL_POOL_SIZE: z.coerce.number().int().positive().default(20),

  READY_CHECK_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  SELF_CHECK_ON_START: z.stringbool().default(true),
});

/** The validated configuration every module reads; never `process.env` directly. */
export type Config = z.infer<typeof schema>;

/** Thrown at start-up when an environment variable is malformed; names each offending variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (default: `process.env`) into a typed, defaulted config. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  return result.data;
}
