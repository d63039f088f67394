import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { createMysqlPool } from '../platform/clients/mysql';
import { testConfig, uniqueId } from '../test/support/context';
import { MigrationChangedError, migrate, readMigrations, splitStatements } from './migrate';

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comments', () => {
    expect(splitStatements('-- a table\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\n')).toEqual([
      'CREATE TABLE a (x INT)',
      'INSERT INTO a VALUES (1)',
    ]);
  });
});

describe('the shipped migrations', () => {
  it('are numbered without gaps or duplicates', async () => {
    const versions = (await readMigrations()).map((m) => m.version);
    expect(versions.length).toBeGreaterThan(0);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });
});

describe('migrate (real MariaDB)', () => {
  const pool = createMysqlPool(testConfig(), { connectionLimit: 4 });
  const suffix = uniqueId('m').replace('-', '_');
  const table = `schema_migrations_${suffix}`;
  const dataTable = `migrate_probe_${suffix}`;
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}, ${dataTable}`);
    await pool.end();
  });

  it('applies each migration once, also when two processes migrate at the same time', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await writeFile(path.join(dir, '001_create.sql'), `CREATE TABLE ${dataTable} (id INT PRIMARY KEY);\n`);
    await writeFile(path.join(dir, '002_seed.sql'), `INSERT INTO ${dataTable} VALUES (1);\nINSERT INTO ${dataTable} VALUES (2);\n`);

    const [a, b] = await Promise.all([migrate(pool, { dir, table }), migrate(pool, { dir, table })]);
    expect([...a, ...b].sort()).toEqual(['001_create.sql', '002_seed.sql']);
    expect(await migrate(pool, { dir, table })).toEqual([]);
    const [rows] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${dataTable}`);
    expect(rows[0]?.n).toBe(2);

    await writeFile(path.join(dir, '002_seed.sql'), `INSERT INTO ${dataTable} VALUES (3);\n`);
    await expect(migrate(pool, { dir, table })).rejects.toBeInstanceOf(MigrationChangedError);
  });
});
