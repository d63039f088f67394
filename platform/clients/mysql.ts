import mysql, { type Pool } from 'mysql2/promise';
import type { Config } from '../config';

export type { Pool };

/** A mysql2 pool. Times are UTC, DECIMAL stays a string (money never goes through floats). */
export function createMysqlPool(config: Config, overrides: mysql.PoolOptions = {}): Pool {
  return mysql.createPool({
    host: config.MYSQL_HOST,
    port: config.MYSQL_PORT,
    user: config.MYSQL_USER,
    password: config.MYSQL_PASSWORD,
    database: config.MYSQL_DATABASE,
    connectionLimit: config.MYSQL_POOL_SIZE,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    connectTimeout: 5_000,
    enableKeepAlive: true,
    ...overrides,
  });
}
