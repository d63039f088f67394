import { Connection } from '@temporalio/client';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { describe, expect, it, vi } from 'vitest';
import { freePort } from '../test/support/context';
import { DependencyUnavailableError, isUpdateAborted, unavailableDependency } from './dependency-errors';
import { AppError } from './errors';
import { onError } from './http/errors';
import type { Logger } from './logger';
import { metrics } from './metrics';

/** An error shaped as the client library throws it (class name, message and fields). */
const shaped = (message: string, fields: Record<string, unknown> = {}, name?: string): Error => {
  const err = Object.assign(new Error(message), fields);
  if (name) Object.defineProperty(err, 'name', { value: name });
  return err;
};

describe('unavailableDependency: what each client throws during an outage', () => {
  it.each([
    ['mysql2: connection refused', shaped('connect ECONNREFUSED 127.0.0.1:3306', { code: 'ECONNREFUSED', errno: -111, fatal: true })],
    ['mysql2: server closed the connection', shaped('Connection lost: The server closed the connection.', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })],
    ['mysql2: connect timeout', shaped('connect ETIMEDOUT', { code: 'ETIMEDOUT', errorno: 'ETIMEDOUT', fatal: true })],
    ['mysql2: too many connections', shaped('Too many connections', { code: 'ER_CON_COUNT_ERROR', errno: 1040, sqlState: '08004', fatal: true })],
    ['mysql2: server shutdown (1053)', shaped('Server shutdown in progress', { code: 'ER_SERVER_SHUTDOWN', errno: 1053, sqlState: '08S01' })],
    ['mysql2: lost connection during query (2013)', shaped('Lost connection to server during query', { errno: 2013, sqlState: 'HY000', fatal: true })],
    ['mysql2: connection killed (MariaDB 1927)', shaped('Connection was killed', { code: 'ER_CONNECTION_KILLED', errno: 1927, sqlState: '70100' })],
    ['mysql2: closed connection', shaped("Can't add new command when connection is in closed state", { fatal: true })],
    ['mysql2: pool closed', shaped('Pool is closed.')],
    ['mysql2: pool queue full', shaped('Queue limit reached.')],
  ])('%s → mysql', (_what, err) => {
    expect(unavailableDependency(err)).toBe('mysql');
  });

  it.each([
    ['ioredis: retries exhausted', shaped('Reached the max retries per request limit (which is 1).', {}, 'MaxRetriesPerRequestError')],
    ['ioredis: connection closed', shaped('Connection is closed.')],
    ['ioredis: offline queue off', shaped("Stream isn't writeable and enableOfflineQueue options is false")],
    ['redis: loading its data', shaped('LOADING Redis is loading the dataset in memory', {}, 'ReplyError')],
  ])('%s → redis', (_what, err) => {
    expect(unavailableDependency(err)).toBe('redis');
  });

  it.each([
    ['gRPC UNAVAILABLE', shaped('14 UNAVAILABLE: No connection established', { code: 14, details: 'No connection established', metadata: {} })],
    [
      'gRPC DEADLINE_EXCEEDED inside a ServiceError',
      new Error('start failed', { cause: shaped('4 DEADLINE_EXCEEDED', { code: 4, details: 'x', metadata: {} }) }),
    ],
    ['connect: grpc-js deadline', shaped('Failed to connect before the deadline')],
    ['connect: ServiceError', shaped('Failed to connect to Temporal server', {}, 'ServiceError')],
  ])('%s → temporal', (_what, err) => {
    expect(unavailableDependency(err)).toBe('temporal');
  });

  it('an Update aborted with its workflow task (9 FAILED_PRECONDITION inside the ServiceError) is recognised; other gRPC errors are not', () => {
    const aborted = shaped('9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.', {
      code: 9,
      details: 'Unable to perform workflow execution update due to unexpected workflow task failure.',
      metadata: {},
    });
    expect(isUpdateAborted(new Error('Workflow Update failed', { cause: aborted }))).toBe(true);
    expect(isUpdateAborted(shaped('5 NOT_FOUND', { code: 5, details: 'workflow not found', metadata: {} }))).toBe(false);
    expect(isUpdateAborted(new Error('9 FAILED_PRECONDITION'))).toBe(false);
    expect(unavailableDependency(aborted)).toBeUndefined();
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    [
      'a duplicate key (the statement, not the server)',
      shaped("Duplicate entry 'x' for key 'PRIMARY'", { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' }),
    ],
    ['a deadlock after its retries', shaped('Deadlock found', { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlState: '40001' })],
    ['a bad statement', shaped('You have an error in your SQL syntax', { code: 'ER_PARSE_ERROR', errno: 1064, sqlState: '42000' })],
    ['access denied (configuration, not an outage)', shaped('Access denied', { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000', fatal: true })],
    ["another client's ECONNREFUSED (not mysql2's)", shaped('connect ECONNREFUSED 127.0.0.1:4566', { code: 'ECONNREFUSED', errno: -111 })],
    ['a gRPC NOT_FOUND', shaped('5 NOT_FOUND', { code: 5, details: 'workflow not found', metadata: {} })],
    ['not an error', 'ECONNREFUSED'],
  ])('%s → unknown', (_what, err) => {
    expect(unavailableDependency(err)).toBeUndefined();
  });

  it('looks through causes, and names the dependency of a DependencyUnavailableError', () => {
    const root = shaped('connect ECONNREFUSED', { code: 'ECONNREFUSED', fatal: true });
    expect(unavailableDependency(new Error('outer', { cause: new Error('middle', { cause: root }) }))).toBe('mysql');
    expect(unavailableDependency(new DependencyUnavailableError('redis'))).toBe('redis');
  });

  // The errors the real clients throw against a port nobody listens on: the shapes above are theirs.
  it('real clients against a closed port: mysql2 pool, a closed pool, ioredis, Temporal', async () => {
    const port = await freePort();
    const pool = mysql.createPool({ host: '127.0.0.1', port, user: 'x', password: 'x', connectTimeout: 2_000 });
    const refused = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(unavailableDependency(refused)).toBe('mysql');
    const conn = await pool.getConnection().catch((e: unknown) => e);
    expect(unavailableDependency(conn)).toBe('mysql');
    await pool.end();
    expect(unavailableDependency(await pool.query('SELECT 1').catch((e: unknown) => e))).toBe('mysql');

    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => undefined); // the connection errors themselves; the command's is checked
    try {
      expect(unavailableDependency(await redis.ping().catch((e: unknown) => e))).toBe('redis');
    } finally {
      redis.disconnect();
    }

    const temporal = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 300 }).catch((e: unknown) => e);
    expect(temporal).toBeInstanceOf(Error);
    expect(unavailableDependency(temporal)).toBe('temporal');
  });
});

describe('onError: an outage is 503 with Retry-After; an unknown error a logged 500', () => {
  const log = () => ({ warn: vi.fn(), error: vi.fn() });
  const appThrowing = (err: unknown, logger = log(), retryAfterSeconds?: number) => {
    const app = new Hono();
    app.post('/x', () => {
      throw err;
    });
    app.onError(onError(logger as unknown as Logger, retryAfterSeconds === undefined ? {} : { retryAfterSeconds }));
    return { app, logger };
  };

  it('a MySQL connection error: 503 dependency_unavailable naming mysql, Retry-After as configured, logged as a warning with its cause', async () => {
    const cause = shaped('connect ECONNREFUSED 127.0.0.1:3306', { code: 'ECONNREFUSED', fatal: true });
    const { app, logger } = appThrowing(cause, log(), 7);
    const res = await app.request('/x', { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body).toEqual({
      error: {
        code: 'dependency_unavailable',
        message: expect.stringMatching(/database is unavailable.*retry/) as unknown,
        dependency: 'mysql',
        retryAfterSeconds: 7,
      },
    });
    expect(logger.warn).toHaveBeenCalledOnce();
    expect(logger.warn.mock.calls[0]![0]).toMatchObject({ err: cause, dependency: 'mysql', method: 'POST', path: '/x' });
    expect(logger.error).not.toHaveBeenCalled();
    expect(await metrics.getSingleMetricAsString('tidings_dependency_unavailable_total')).toMatch(/dependency="mysql"\} [1-9]/);
  });

  it('Redis and Temporal are named the same way; the default Retry-After is 5 s', async () => {
    const redis = await appThrowing(shaped('Connection is closed.')).app.request('/x', { method: 'POST' });
    expect([redis.status, redis.headers.get('retry-after')]).toEqual([503, '5']);
    expect(await redis.json()).toMatchObject({ error: { code: 'dependency_unavailable', dependency: 'redis' } });
    const temporal = await appThrowing(shaped('Failed to connect before the deadline')).app.request('/x', { method: 'POST' });
    expect(await temporal.json()).toMatchObject({ error: { code: 'dependency_unavailable', dependency: 'temporal' } });
  });

  it("a route's own 503 keeps its code and gains Retry-After", async () => {
    const own = new AppError(503, 'temporal_unavailable', 'recorded; retry with the same key', { dependency: 'temporal' });
    const res = await appThrowing(own, log(), 3).app.request('/x', { method: 'POST' });
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '3']);
    expect(await res.json()).toEqual({
      error: { code: 'temporal_unavailable', message: 'recorded; retry with the same key', dependency: 'temporal', retryAfterSeconds: 3 },
    });
  });

  it('an unknown error stays a plain 500 without Retry-After, logged as an error', async () => {
    const bug = new TypeError('boom');
    const { app, logger } = appThrowing(bug);
    const res = await app.request('/x', { method: 'POST' });
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ err: bug }), 'unhandled error');
  });

  it('other known errors are unchanged', async () => {
    const res = await appThrowing(new AppError(404, 'not_found', 'no x', { field: 'id' })).app.request('/x', { method: 'POST' });
    expect([res.status, res.headers.get('retry-after')]).toEqual([404, null]);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no x', field: 'id' } });
  });
});
