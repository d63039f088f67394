import { MockActivityEnvironment } from '@temporalio/testing';
import type { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import { describe, expect, it, vi } from 'vitest';
import type { RelayBatchResult } from '../contracts/ledger';
import type { Publisher } from '../gateway/publisher';
import { config } from '../test/support/routes';
import { createLedgerActivities } from './ledger';

// In process, on a scripted MySQL: once the relay marked a day's close as started, batches that
// touch only that day skip the days-to-close lookup (one statement less per batch under a stream).
describe('ledger relay: days whose close is started', () => {
  const day = '2026-11-20';
  const row = (id: string) => ({
    entry_id: id,
    merchant_id: 'm1',
    type: 'credit',
    amount_cents: 100,
    currency: 'BRL',
    description: 'x',
    occurred_on: day,
    created_at: new Date(),
  });
  function fakeMysql() {
    const waiting: string[] = [];
    const statements: string[] = [];
    /** Days an earlier drain applied without handing them back (what daysWithoutClose finds). */
    const orphans: { merchant_id: string; day: string; timezone: string }[] = [];
    const query = vi.fn((sql: string, params?: unknown[]) => {
      statements.push(sql);
      if (sql.includes('b.close_scheduled = 0 LIMIT')) return Promise.resolve([orphans.splice(0)]);
      if (sql.startsWith('SELECT o.id AS outbox_id'))
        return Promise.resolve([waiting.splice(0, params![0] as number).map((id, i) => ({ outbox_id: i + 1, was_applied: 0, ...row(id) }))]);
      if (sql.includes('close_scheduled = 0')) return Promise.resolve([[{ merchant_id: 'm1', day, timezone: 'UTC' }]]);
      return Promise.resolve([[]]);
    });
    const conn = { query, beginTransaction: vi.fn(), commit: vi.fn(), rollback: vi.fn(), release: vi.fn() };
    const pool = { query, getConnection: () => Promise.resolve(conn) } as unknown as Pool;
    return { pool, waiting, orphans, lookups: () => statements.filter((s) => s.includes('close_scheduled = 0 AND')).length };
  }

  const activitiesOn = (db: ReturnType<typeof fakeMysql>) =>
    createLedgerActivities({
      config,
      mysql: db.pool,
      producer: () => Promise.resolve({ send: vi.fn() } as never),
      temporal: () => Promise.reject(new Error('unexpected Temporal call')),
      publisher: () => ({ publish: vi.fn(() => Promise.resolve()) }) as unknown as Publisher,
      redis: { set: vi.fn(() => Promise.resolve('OK')), del: vi.fn(() => Promise.resolve(1)) } as unknown as Redis,
    });

  it('looks the day up until its close is marked started, and not after', async () => {
    const db = fakeMysql();
    const activities = activitiesOn(db);
    const drain = () => new MockActivityEnvironment().run(activities.relayOutboxBatch, 500, { closes: 'return' as const }) as Promise<RelayBatchResult>;

    db.waiting.push('e1');
    expect((await drain()).daysToClose?.map((d) => d.input)).toMatchObject([{ merchantId: 'm1', day }]);
    expect(db.lookups()).toBe(1);

    await new MockActivityEnvironment().run(activities.markDayClosesStarted, [{ merchantId: 'm1', day }]);
    db.waiting.push('e2', 'e3');
    expect((await drain()).daysToClose).toEqual([]);
    expect(db.lookups()).toBe(1);
  });

  // Found by the soak (docs/reliability.md): a drain that failed after committing a batch (Kafka
  // down for the next one) lost the days it would have handed back; their entries were dispatched,
  // so no later batch found them, and the day never closed.
  it('a day an earlier drain applied but never handed back is handed back by the next drain, with no entry waiting', async () => {
    const db = fakeMysql();
    const activities = activitiesOn(db);
    db.orphans.push({ merchant_id: 'm2', day, timezone: 'UTC' });
    const result = (await new MockActivityEnvironment().run(activities.relayOutboxBatch, 500, { closes: 'return' as const })) as RelayBatchResult;
    expect(result.daysToClose?.map((d) => d.input)).toMatchObject([{ merchantId: 'm2', day }]);
  });

  it('within one drain, a day handed back for its close is looked up once, however many batches touch it', async () => {
    const db = fakeMysql();
    const activities = activitiesOn(db);
    db.waiting.push('e1', 'e2', 'e3');
    // Batches of one: three full batches in a row, all on the same day, in one drain.
    const result = (await new MockActivityEnvironment().run(activities.relayOutboxBatch, 1, { closes: 'return' as const })) as RelayBatchResult;
    expect(result.daysToClose?.map((d) => d.input)).toMatchObject([{ merchantId: 'm1', day }]);
    expect(db.lookups()).toBe(1);
  });
});
