// `tsx scripts/live-smoke.ts [apiUrl]`: proves a running live system (npm start) still works: a
// purchase through its API reaches COMPLETED, and its database holds no rows of test runs (tests
// work in environments of their own). Run by scripts/test.sh after the suite when a live system
// answers, so every such run shows the suite and the live system side by side on one set of servers.
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { signToken } from '../platform/auth/jwt';
import { loadConfig } from '../platform/config';

const apiUrl = process.argv[2] ?? 'http://127.0.0.1:3000';
// The live environment's own config (TIDINGS_ENV of the caller is the test run's, not the live one).
const config = loadConfig({ ...process.env, TIDINGS_ENV: process.env.LIVE_TIDINGS_ENV ?? 'dev', MYSQL_DATABASE: undefined, TEMPORAL_TASK_QUEUE: undefined });
const user = `live-smoke-${randomUUID().slice(0, 8)}`;
const token = await signToken(config, user);
const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const started = Date.now();
const created = await call('POST', '/purchases', { productId: 'gift-card-100', quantity: 1, installments: 1 }, { 'idempotency-key': randomUUID() });
if (created.status !== 202) throw new Error(`live purchase refused: ${created.status} ${JSON.stringify(created.body)}`);
const purchaseId = String(created.body.purchaseId);
let status = '';
while (Date.now() - started < 60_000) {
  status = String((await call('GET', `/purchases/${purchaseId}`)).body.status);
  if (status === 'COMPLETED') break;
  await new Promise((r) => setTimeout(r, 250));
}
if (status !== 'COMPLETED') throw new Error(`live purchase ${purchaseId} is ${status} after 60 s`);

const db = await mysql.createConnection({
  host: config.MYSQL_HOST,
  port: config.MYSQL_PORT,
  user: config.MYSQL_USER,
  password: config.MYSQL_PASSWORD,
  database: config.MYSQL_DATABASE,
});
try {
  // The purchase tests' buyers are buyer-… ids; the live database must never see the suite's rows.
  const [rows] = await db.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM purchases WHERE user_id LIKE 'buyer-%'");
  if (Number(rows[0]?.n) !== 0) throw new Error(`the live database ${config.MYSQL_DATABASE} holds ${rows[0]?.n} purchases of test users`);
} finally {
  await db.end();
}
console.log(`[live] purchase ${purchaseId} COMPLETED in ${Date.now() - started} ms on the live system at ${apiUrl}; no test rows in ${config.MYSQL_DATABASE}`);
