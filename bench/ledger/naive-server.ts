// The comparison for the ledger benchmark: what the seed's "update the balance atomically" often
// becomes in practice, a read-modify-write with no lock. Mounted on the very same API edge as
// Tidings (request id, access log, metrics, security headers, per-IP and per-user rate limits in
// Redis, JWT) with the same body validation, so the figures differ by the design alone.
import { Hono } from 'hono';
import type { RowDataPacket } from 'mysql2/promise';
import { createApiApp } from '../../api/app';
import { PostEntry } from '../../api/ledger/routes';
import type { ApiVariables } from '../../api/middleware/auth';
import { toCents } from '../../domain/money';
import { loadConfig } from '../../platform/config';
import { createContext } from '../../runtime/context';
import { jsonBody } from '../../platform/http/validate';
import { listen } from '../../platform/http/serve';
import { createLogger } from '../../platform/logger';

const config = loadConfig();
const ctx = createContext(config, createLogger(config.LOG_LEVEL, { component: 'naive' }));
const mysql = ctx.mysql();
await mysql.query(
  'CREATE TABLE IF NOT EXISTS bench_naive_balances (merchant_id VARCHAR(128), day DATE, balance_cents BIGINT NOT NULL, PRIMARY KEY (merchant_id, day))',
);
const ledger = new Hono<{ Variables: ApiVariables }>().post('/entries', async (c) => {
  const body = await jsonBody(c, PostEntry);
  const merchantId = c.get('principal').userId;
  const delta = (body.type === 'credit' ? 1 : -1) * toCents(body.amount);
  const [rows] = await mysql.query<RowDataPacket[]>('SELECT balance_cents FROM bench_naive_balances WHERE merchant_id = ? AND day = ?', [
    merchantId,
    body.occurredAt,
  ]);
  const current = rows[0] ? Number(rows[0].balance_cents) : 0;
  await mysql.query(
    'INSERT INTO bench_naive_balances (merchant_id, day, balance_cents) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE balance_cents = VALUES(balance_cents)',
    [merchantId, body.occurredAt, current + delta],
  );
  return c.json({ ok: true }, 201);
});
await listen(createApiApp(ctx, { '/ledger': ledger as unknown as Hono<{ Variables: ApiVariables }> }), config.HOST, config.API_PORT);
process.send?.('ready');
