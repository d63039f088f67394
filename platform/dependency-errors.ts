// Recognising "a server we depend on is unavailable" among the errors a request can end with, so
// the edge answers 503 with Retry-After (retry later, nothing was wrong with the request) rather
// than a 500 (a bug). Recognised by what each client library throws, never by a guess: an error
// no rule below attributes to MySQL, Redis or Temporal stays unknown (a logged 500).
import { AppError } from './errors';

/** The servers whose outage a request can run into, as `/ready` names them (and Jaeger, which only the trace view reads). */
export type Dependency = 'mysql' | 'redis' | 'temporal' | 'jaeger';

/**
 * What a client is told, per dependency: what is down, and that retrying is the remedy. Not "nothing
 * was changed": the server may have died just after a commit; the retry (same key) is safe either way.
 */
const SAID: Record<Dependency, string> = {
  mysql: 'the database is unavailable; retry shortly (with the same Idempotency-Key where there is one)',
  redis: 'Redis is unavailable; retry shortly (with the same Idempotency-Key where there is one)',
  temporal: 'Temporal is unavailable; retry shortly (with the same Idempotency-Key where there is one)',
  // Read only (the trace view), never on a journey's path: the app runs on without it.
  jaeger: 'the trace store (Jaeger) is unavailable; retry shortly',
};

/** 503 `dependency_unavailable`, naming the dependency; the edge adds Retry-After. */
export class DependencyUnavailableError extends AppError {
  constructor(
    readonly dependency: Dependency,
    options?: { cause?: unknown; message?: string },
  ) {
    super(503, 'dependency_unavailable', options?.message ?? SAID[dependency], { dependency }, { cause: options?.cause });
    this.name = 'DependencyUnavailableError';
  }
}

// mysql2 -------------------------------------------------------------------------------------------
// Network failures reach the caller as Node's socket error (code ECONNREFUSED, ETIMEDOUT, …) that
// mysql2 has marked `fatal`; a server refusing or closing a session answers an error packet
// (`sqlState`, `errno`); the pool and a closed connection throw plain errors with fixed messages.

/** Connection-level codes: the socket could not be opened, or it broke. */
const MYSQL_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST', // the server closed the connection (killed, restarted, failover)
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** Server and client error numbers that mean "no session now", not "this statement is wrong". */
const MYSQL_UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN: server shutdown in progress
  1129, // ER_HOST_IS_BLOCKED: too many connection errors from this host
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST: lost connection during query
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8): the server dropped an idle session
]);

/** mysql2's own messages for a pool or connection that can no longer take work. */
const MYSQL_MESSAGES = new Set([
  'Pool is closed.',
  'Queue limit reached.',
  "Can't add new command when connection is in closed state",
  "Can't write in closed state",
]);

interface MysqlLike {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
}

function isMysqlUnavailable(err: Error): boolean {
  if (MYSQL_MESSAGES.has(err.message)) return true;
  const e = err as Error & MysqlLike;
  // A server error packet (sqlState) or a connection error mysql2 marked (fatal): mysql2's, not
  // another client's ECONNREFUSED.
  const fromMysql2 = typeof e.fatal === 'boolean' || typeof e.sqlState === 'string' || typeof e.sqlMessage === 'string';
  if (!fromMysql2) return false;
  if (typeof e.code === 'string' && MYSQL_NETWORK_CODES.has(e.code)) return true;
  if (typeof e.errno === 'number' && MYSQL_UNAVAILABLE_ERRNOS.has(e.errno)) return true;
  // Node's happy-eyeballs connect gives an AggregateError of the per-address failures.
  return err instanceof AggregateError && err.errors.some((inner) => inner instanceof Error && MYSQL_NETWORK_CODES.has(String((inner as MysqlLike).code)));
}

// ioredis ------------------------------------------------------------------------------------------
// Our clients retry a command once while disconnected, then fail it (platform/clients/redis.ts).

const REDIS_MESSAGES = new Set(['Connection is closed.', "Stream isn't writeable and enableOfflineQueue options is false"]);

function isRedisUnavailable(err: Error): boolean {
  if (err.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.has(err.message)) return true;
  // Replies of a server that is up but cannot serve yet (loading its data, replica without master).
  return err.name === 'ReplyError' && /^(LOADING|MASTERDOWN) /.test(err.message);
}

// Temporal -----------------------------------------------------------------------------------------
// The client's ServiceError wraps a gRPC error (4 DEADLINE_EXCEEDED, 8 RESOURCE_EXHAUSTED,
// 14 UNAVAILABLE); `Connection.connect` to a server that is down fails with grpc-js's plain
// "Failed to connect before the deadline", or with "Failed to connect to Temporal server" around a
// gRPC error. Temporal is the only gRPC client in this project.

const GRPC_UNAVAILABLE_CODES = new Set([4, 8, 14]);
const GRPC_CONNECT_MESSAGES = new Set(['Failed to connect before the deadline', 'Failed to connect to Temporal server']);

function isTemporalUnavailable(err: Error): boolean {
  const e = err as Error & { code?: unknown; details?: unknown; metadata?: unknown };
  // The shape @temporalio/client's isGrpcServiceError checks.
  const grpc = typeof e.details === 'string' && typeof e.metadata === 'object' && e.metadata !== null;
  if (grpc && typeof e.code === 'number' && GRPC_UNAVAILABLE_CODES.has(e.code)) return true;
  return GRPC_CONNECT_MESSAGES.has(err.message);
}

/**
 * An Update the server aborted because the workflow task carrying it failed (gRPC 9
 * FAILED_PRECONDITION, "workflow not ready"): e.g. a signal arrived while the worker completed
 * that task (UnhandledCommand), and the task runs again without the Update. Nothing was decided;
 * asking again is the remedy (seen in the soak: a cancel racing fulfillment's outcome).
 */
export function isUpdateAborted(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const e = current as Error & { code?: unknown; details?: unknown; metadata?: unknown };
    if (e.code === 9 && typeof e.details === 'string' && typeof e.metadata === 'object' && e.metadata !== null) return true;
    current = current.cause;
  }
  return false;
}

/**
 * The dependency whose unavailability `err` reports (looking through its `cause` chain, as our own
 * wrappers keep the original there), or undefined for any other error.
 */
export function unavailableDependency(err: unknown): Dependency | undefined {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current instanceof DependencyUnavailableError) return current.dependency;
    if (isMysqlUnavailable(current)) return 'mysql';
    if (isRedisUnavailable(current)) return 'redis';
    if (isTemporalUnavailable(current)) return 'temporal';
    current = current.cause;
  }
  return undefined;
}
