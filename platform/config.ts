import { z } from 'zod';

/** Roles one process can run; `TIDINGS_ROLES` picks any subset, all by default. */
export const ROLES = ['api', 'gateway', 'worker', 'consumers', 'simulators'] as const;
export type Role = (typeof ROLES)[number];

const port = z.coerce.number().int().min(0).max(65535);
/** A comma-separated list: items trimmed, empty ones dropped, the list checked by `list`. */
const commaList = <T extends z.ZodType<unknown, string[]>>(list: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(list);
const csv = (allowed?: readonly string[]) => commaList(allowed ? z.array(z.enum(allowed as [string, ...string[]])).min(1) : z.array(z.string()).min(1));

/** Development-only signing secret; refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'tidings-development-secret-do-not-use-in-production';

// Every variable the system reads, with defaults that point at the local servers of scripts/infra.
/** Every variable, with its default (`.env.example` is generated from it: scripts/env-example.ts). */
export const configFields = z.object({
  /**
   * The environment every shared resource name is scoped to (topics, queues, consumer groups, Redis
   * keys and channels, the MySQL database, task queue, workflow ids): several environments (the live
   * system, a test run, a benchmark, a preview) share one set of servers without seeing each other.
   */
  TIDINGS_ENV: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,23}$/, 'lower-case letters, digits and dashes, starting with a letter, at most 24 characters')
    .default('dev'),
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Pretty log lines; unset: only on a terminal in development. */
  LOG_PRETTY: z.stringbool().optional(),
  TIDINGS_ROLES: csv(ROLES).default([...ROLES]),
  HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  GATEWAY_PORT: port.default(3001),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Default `tidings-<TIDINGS_ENV>`. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).optional(),
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),

  KAFKA_BROKERS: csv().default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().default('tidings'),
  /** Consumer groups are `<TIDINGS_ENV>.<prefix>-<consumer>`. */
  KAFKA_GROUP_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('tidings'),
  /** Where a brand-new group starts: `earliest` loses nothing produced before the first start. */
  KAFKA_NEW_GROUP_FROM: z.enum(['earliest', 'latest']).default('earliest'),

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
  /** Default `tidings_<TIDINGS_ENV>` (dashes become underscores): one database per environment. */
  MYSQL_DATABASE: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/)
    .optional(),
  MYSQL_POOL_SIZE: z.coerce.number().int().positive().default(20),

  READY_CHECK_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  /** Retry-After of a 503 while a dependency (MySQL, Redis, Temporal) is unavailable. */
  UNAVAILABLE_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3_600).default(5),

  // JWT for the API and the gateway: HS256 with JWT_SECRET, or RS256/ES256 from JWT_JWKS_URL.
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().default('tidings'),
  JWT_AUDIENCE: z.string().default('tidings'),

  // WebSocket gateway limits (see docs/gateway-protocol.md).
  GATEWAY_PING_INTERVAL_MS: z.coerce.number().int().positive().default(25_000),
  GATEWAY_MAX_LIFETIME_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 60 * 60 * 1000),
  GATEWAY_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  GATEWAY_RATE_PER_SECOND: z.coerce.number().positive().default(20),
  GATEWAY_RATE_BURST: z.coerce.number().int().positive().default(60),
  GATEWAY_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  GATEWAY_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(200),
  GATEWAY_STREAM_MAXLEN: z.coerce.number().int().positive().default(1_000),
  GATEWAY_STREAM_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 3600),
  GATEWAY_INSTANCE_TTL_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * Channel namespaces published live only, with no history (comma-separated; none by default): for
   * events no client ever recovers after a reconnect (a typing indicator, say), skipping the stream
   * append that is most of a publish's cost in Redis. Their events carry an empty offset and epoch,
   * and a subscribe to them with `since` is answered recovered:false (docs/gateway-protocol.md).
   */
  GATEWAY_LIVE_ONLY_NAMESPACES: commaList(z.array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected channel namespaces like typing,presence'))).default([]),
  SELF_CHECK_ON_START: z.stringbool().default(true),

  // Web app: where browsers reach the gateway; the demo sign-in (development only).
  PUBLIC_GATEWAY_URL: z
    .string()
    .regex(/^wss?:\/\//, 'a ws:// or wss:// URL')
    .default('ws://127.0.0.1:3001/ws'),
  DEV_SIGN_IN: z.stringbool().default(false),
  // When `npm start` began (seconds since the epoch; scripts/start.sh sets it): the start-up block
  // says how long the whole start took, installs included. Unset: counted from this process's start.
  TIDINGS_STARTED_AT: z.coerce.number().int().positive().optional(),
  /** Browser origins allowed to call the API from another origin (CORS); none by default. */
  CORS_ORIGINS: commaList(z.array(z.url())).default([]),

  // API edge: rate limits per authenticated user and per client IP (fixed windows kept in Redis).
  API_RATE_LIMIT_PER_USER: z.coerce.number().int().positive().default(1_200),
  API_RATE_LIMIT_PER_IP: z.coerce.number().int().positive().default(6_000),
  API_RATE_WINDOW_MS: z.coerce.number().int().positive().default(60_000),

  // SQS consumers: long-poll wait, and how soon a failed message is retried.
  SQS_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).default(5),
  SQS_RETRY_DELAY_SECONDS: z.coerce.number().int().min(0).max(900).default(2),
  SQS_POLLERS: z.coerce.number().int().min(1).max(32).default(2),

  // Event fan-out: how long the run waits for both consumers before ending INCOMPLETE.
  EVENT_CONFIRM_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60 * 1000),

  // Purchase journey: how long a purchase waits for fulfillment before it EXPIRES (compensated).
  PURCHASE_RESULT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 60 * 1000),
  // The purchase outbox relay, the backstop of the API's own start of each purchase's run: its tick
  // while there is work, where the tick backs off to while the outbox stays empty (an API whose
  // start failed wakes it), and its batch; the worker role makes sure it runs unless turned off.
  PURCHASE_RELAY_IDLE_MS: z.coerce.number().int().min(100).default(5_000),
  PURCHASE_RELAY_MAX_IDLE_MS: z.coerce.number().int().min(100).default(60_000),
  PURCHASE_RELAY_BATCH: z.coerce.number().int().positive().max(1_000).default(200),
  PURCHASE_RELAY_ON_START: z.stringbool().default(true),
  // How long a cancel waits for the purchase's run to answer (no worker up: 503, retry later).
  PURCHASE_CANCEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  // The fulfillment simulator's processing time (half before PROCESSING, when a cancel is still
  // possible, half after): a few seconds, as a real one takes; 0 in benchmarks.
  FULFILLMENT_DELAY_MS: z.coerce.number().int().min(0).max(20_000).default(3_000),

  // Ledger: the relay's batch and backstop tick; how long after a merchant's midnight a day closes.
  LEDGER_RELAY_BATCH: z.coerce.number().int().positive().max(1000).default(200),
  LEDGER_RELAY_IDLE_MS: z.coerce.number().int().positive().default(5_000),
  LEDGER_WAKE_INTERVAL_MS: z.coerce.number().int().min(0).default(250),
  // Group commits of posts in flight at once. One: while it runs, the next posts gather into the
  // next statement (17 entries a statement at 48 clients against 10 with two, and 1.2× the entries
  // per second; docs/ledger-hot-path.md). More only where a commit waits long on a slow disk.
  LEDGER_COMMIT_LANES: z.coerce.number().int().min(1).max(8).default(1),
  // One relay activity drains for up to DRAIN_MS, polling every POLL_MS while posts keep arriving
  // (below the activity's 1 min timeout); the poll bounds the consolidation lag under load.
  LEDGER_RELAY_DRAIN_MS: z.coerce.number().int().min(0).max(50_000).default(10_000),
  LEDGER_RELAY_POLL_MS: z.coerce.number().int().min(10).default(100),
  LEDGER_CLOSE_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(60 * 60 * 1000),
  /** The worker role makes sure the outbox relay runs (tests that do not need it turn it off). */
  LEDGER_RELAY_ON_START: z.stringbool().default(true),

  // Notifications: delivery attempts (a sendAt in the past is sent as soon as possible).
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  // Notification timers: shards, the time slice of one bucket workflow, how far ahead of now a
  // bucket must fire to be sure its claim runs after the row is committed, rows claimed per batch.
  NOTIFY_SHARDS: z.coerce.number().int().min(1).max(64).default(2),
  NOTIFY_BUCKET_MS: z.coerce.number().int().min(50).max(60_000).default(250),
  NOTIFY_BUCKET_MARGIN_MS: z.coerce.number().int().min(50).max(10_000).default(300),
  NOTIFY_BATCH: z.coerce.number().int().min(1).max(2_000).default(500),

  // Chat messages: FAILED when not DELIVERED this long after the message was handed to its channel.
  MESSAGE_DELIVER_DEADLINE_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 60 * 1000),
  // The deadline timers: one bucket workflow per time slice; how late past its deadline a message
  // may be marked FAILED is at most one slice.
  MESSAGE_DEADLINE_BUCKET_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  // The outbox relay (the backstop of the API's own dispatch): tick, rows per batch, and whether
  // the worker role makes sure it runs (tests that do not need it turn it off).
  MESSAGE_RELAY_IDLE_MS: z.coerce.number().int().min(100).default(2_000),
  MESSAGE_RELAY_BATCH: z.coerce.number().int().positive().max(2_000).default(500),
  MESSAGE_RELAY_ON_START: z.stringbool().default(true),
  // Connector simulators (role `simulators`).
  SIM_SENT_DELAY_MS: z.coerce.number().int().min(0).default(150),
  SIM_DELIVERED_DELAY_MS: z.coerce.number().int().min(0).default(400),
  SIM_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),

  // Tracing (OpenTelemetry, docs/tracing.md): on by default, exported to the local Jaeger that
  // scripts/infra/up.sh starts. Benchmarks turn it off to measure the system alone; a ratio below 1
  // keeps that share of traces (decided at each trace's root, so a trace is kept or dropped whole).
  TRACING: z.stringbool().default(true),
  TRACING_OTLP_URL: z.url().default('http://127.0.0.1:4318/v1/traces'),
  TRACING_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
  /** Jaeger's UI and query API: the API's trace view (`GET /traces/:traceId`) reads `<url>/api/traces/<X-Trace-Id>`. */
  TRACING_UI_URL: z.url().default('http://127.0.0.1:16686'),
});

const schema = configFields
  .refine((c) => c.NODE_ENV !== 'production' || c.JWT_JWKS_URL || c.JWT_SECRET !== DEV_JWT_SECRET, {
    path: ['JWT_SECRET'],
    message: 'set a real secret (or JWT_JWKS_URL) in production',
  })
  .refine((c) => c.NODE_ENV !== 'production' || !c.DEV_SIGN_IN, { path: ['DEV_SIGN_IN'], message: 'demo sign-in is for development only' })
  .transform((c) => ({
    ...c,
    TEMPORAL_TASK_QUEUE: c.TEMPORAL_TASK_QUEUE ?? `tidings-${c.TIDINGS_ENV}`,
    MYSQL_DATABASE: c.MYSQL_DATABASE ?? databaseFor(c.TIDINGS_ENV),
  }));

/** The MySQL database of an environment (database names take no dashes unquoted). */
export const databaseFor = (env: string): string => `tidings_${env.replace(/-/g, '_')}`;

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
    throw new ConfigError(result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  return result.data;
}
