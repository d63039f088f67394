import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';

/** Where the versioned migrations live: `NNN_description.sql`, applied in order, never edited. */
export const MIGRATIONS_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'migrations');

interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Reads the migration files in version order. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(path.join(dir, file), 'utf8');
      return {
        version: Number(file.split('_')[0]),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

/** Thrown when an applied migration's file was edited afterwards. */
export class MigrationChangedError extends Error {
  constructor(name: string) {
    super(`migration ${name} was changed after it was applied; add a new migration instead`);
    this.name = 'MigrationChangedError';
  }
}

/**
 * Applies the migrations not applied yet, under a named lock so concurrent starts (two processes,
 * docker-compose roles) apply each one exactly once. Returns the names applied by this call.
 */
export async function migrate(pool: Pool, { dir = MIGRATIONS_DIR, table = 'schema_migrations' }: { dir?: string; table?: string } = {}): Promise<string[]> {
  if (!/^\w+$/.test(table)) throw new Error(`bad migrations table name ${table}`);
  const migrations = await readMigrations(dir);
  const conn = await pool.getConnection();
  const applied: string[] = [];
  try {
    const [[lock]] = await conn.query<RowDataPacket[]>("SELECT GET_LOCK(CONCAT('tidings.migrate.', DATABASE(), '.', ?), 60) AS ok", [table]);
    if (lock?.ok !== 1) throw new Error('could not take the migration lock within 60 s');
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS ${table} (
        version INT PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        checksum CHAR(64) NOT NULL,
        applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      )`);
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT version, name, checksum FROM ${table}`);
      const done = new Map(rows.map((r) => [Number(r.version), r]));
      for (const m of migrations) {
        const previous = done.get(m.version);
        if (previous) {
          if (previous.checksum !== m.checksum) throw new MigrationChangedError(m.name);
          continue;
        }
        for (const statement of splitStatements(m.sql)) await conn.query(statement);
        await conn.query(`INSERT INTO ${table} (version, name, checksum) VALUES (?, ?, ?)`, [m.version, m.name, m.checksum]);
        applied.push(m.name);
      }
    } finally {
      await conn.query("SELECT RELEASE_LOCK(CONCAT('tidings.migrate.', DATABASE(), '.', ?))", [table]);
    }
  } finally {
    conn.release();
  }
  return applied;
}

/** Splits a migration into statements on `;` at line ends (migrations hold no procedures). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
