import mysql from 'mysql2/promise';
import type { Config } from '../platform/config';

// The environment's database is created and dropped over a connection without a default
// database: it cannot be opened before it exists.
async function withServerConnection<T>(config: Config, run: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({
    host: config.MYSQL_HOST,
    port: config.MYSQL_PORT,
    user: config.MYSQL_USER,
    password: config.MYSQL_PASSWORD,
    connectTimeout: 5_000,
  });
  try {
    return await run(conn);
  } finally {
    await conn.end();
  }
}

/** Creates the environment's database if missing (the app user needs CREATE on `tidings%`). */
export const ensureDatabase = (config: Config): Promise<void> =>
  withServerConnection(config, async (conn) => {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${config.MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  });

/** Drops the environment's database (teardown of a test run or benchmark). */
export const dropDatabase = (config: Config): Promise<void> =>
  withServerConnection(config, async (conn) => {
    await conn.query(`DROP DATABASE IF EXISTS \`${config.MYSQL_DATABASE}\``);
  });

/** Databases of environments whose name starts with `prefix` (to prune runs that died). */
export const listDatabases = (config: Config, prefix: string): Promise<string[]> =>
  withServerConnection(config, async (conn) => {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [
      `${prefix.replace(/_/g, '\\_')}%`,
    ]);
    return rows.map((r) => String(r.name));
  });
