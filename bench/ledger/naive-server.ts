// The comparison for the ledger benchmark: what the seed's "update the balance atomically" often
// becomes in practice, a read-modify-write with no lock. Same HTTP stack, same JWT, same MariaDB.
import { Hono } from 'hono';
import type { RowDataPacket } from 'mysql2/promise';
import { requireJwt, type ApiVariables } from '../../api/middleware/auth';
import { toCents } from '../../domain/money';
import { createTokenVerifier } from '../../platform/auth/jwt';
import { createMysqlPool } from '../../platform/clients/mysql';
import { loadConfig } from '../../platform/config';
import { listen } from '../../platform/http/serve';

const config = loadConfig();
const mysql = createMysqlPool(config);
await mysql.query(
  'CREATE TABLE IF NOT EXISTS bench_naive_balances (merchant_id VARCHAR(128), day DATE, balance_cents BIGINT NOT NULL, PRIMARY KEY (merchant_id, day))',
);
const app = new Hono<{ Variables: ApiVariables }>();
app.use('*', requireJwt(createTokenVerifier(config)));
app.post('/ledger/entries', async (c) => {
  const body = (await c.req.json()) as { type: string; amount: string; occurredAt: string };
  const merchantId = c.get('principal').userId;
  const delta = (body.type === 'credit' ? 1 : -1) * toCents(body.amount);
  const [rows] = await mysql.query<RowDataPacket[]>('SELECT balance_cents FROM bench_naive_balances WHERE merchant_id = ? AND day = ?', [merchantId, body.occurredAt]);
  const current = rows[0] ? Number(rows[0].balance_cents) : 0;
  await mysql.query(
    'INSERT INTO bench_naive_balances (merchant_id, day, balance_cents) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE balance_cents = VALUES(balance_cents)',
    [merchantId, body.occurredAt, current + delta],
  );
  return c.json({ ok: true }, 201);
});
await listen(app as unknown as Hono, config.HOST, config.API_PORT);
process.send?.('ready');
