import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { DECIMAL_AMOUNT, fromCents, toCents } from '../../domain/money';
import { workflowUiUrl } from '../../platform/clients/temporal';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import type { Config } from '../../platform/config';
import type { Logger } from '../../platform/logger';
import { claimIdempotencyKey, requestHash } from '../../platform/db/idempotency';
import { inTransaction } from '../../platform/db/transaction';
import { AppError } from '../../platform/errors';
import { timeOrderedUuid } from '../../platform/ids';
import { balanceView, dailyBalances, getEntry, insertEntryWithOutbox, listEntries, type LedgerEntry } from '../../stores/ledger';
import { createGroupCommitter } from '../../stores/ledger-group-commit';
import { relayDrainingKey } from '../../contracts/ledger';
import { dayCloseWorkflowId, outboxRelay, outboxRelayId, outboxWakeSignal } from '../../workflows/ledger';
import { documentedRoutes, errors, idempotencyKeyHeader, jsonBody, link, success } from '../openapi/define';

const isoDate = z.iso.date('a date as YYYY-MM-DD');
/** The day the examples name: the one the process started on. */
const today = new Date().toISOString().slice(0, 10);

export const PostEntry = z.object({
  type: z.enum(['credit', 'debit']),
  amount: z
    .string('a decimal string such as "12.34"')
    .regex(DECIMAL_AMOUNT, 'a positive decimal string with at most 2 decimal places')
    // Greater than zero, said as a pattern so that the OpenAPI document states it: 1 or more, or 0.01 to 0.99.
    .regex(/^(?:[1-9]\d*(?:\.\d{1,2})?|0\.(?:[1-9]\d?|0[1-9]))$/, 'must be greater than zero'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as BRL'),
  description: z.string().trim().min(1).max(200),
  // A year from 1000 (what a MySQL DATE holds).
  occurredAt: isoDate.regex(/^[1-9]\d{3}-/, 'a date from the year 1000'),
});

export const EntriesQuery = z.object({
  date: isoDate.meta({ example: today }),
  limit: z.coerce.number().int().min(1).max(500).default(100).meta({ example: 100 }),
  cursor: z.uuid().optional(),
});

/** Days per answer of GET /ledger/balances/daily; a longer range is answered in pages (`nextFrom`). */
export const BALANCE_DAYS_MAX = 366;
/**
 * Each parameter is optional on its own (OpenAPI cannot tie query parameters together): `date` is
 * one day (and wins over from/to); `from` alone runs to BALANCE_DAYS_MAX days later, `to` alone is
 * one day, none is today (UTC); a `from` after `to` is an empty range.
 */
export const BalancesQuery = z.object({
  date: isoDate.optional().meta({ description: 'one day; instead of from and to' }),
  from: isoDate.optional().meta({ description: 'first day; without it, the day of `to` (or today)', example: today }),
  to: isoDate.optional().meta({ description: `last day; without it, ${BALANCE_DAYS_MAX} days from \`from\``, example: today }),
});
const LAST_DAY = Date.parse('9999-12-31T00:00:00Z');
/** `day` plus `n` days, no later than 9999-12-31 (a date's last 4-digit year). */
const addDays = (day: string, n: number) => new Date(Math.min(LAST_DAY, Date.parse(`${day}T00:00:00Z`) + n * 86_400_000)).toISOString().slice(0, 10);

const tags = ['ledger'];
const post = createRoute({
  method: 'post',
  path: '/entries',
  tags,
  summary: "Post an entry to the caller's (merchant's) ledger",
  request: {
    headers: idempotencyKeyHeader.optional,
    body: jsonBody(PostEntry, { type: 'credit', amount: '12.34', currency: 'BRL', description: 'sale', occurredAt: today }),
  },
  responses: {
    201: success('the entry', {
      links: {
        EntriesOfItsDay: link('get /ledger/entries', 'the entries of its day', { parameters: { date: '$response.body#/occurredOn' } }),
        BalanceOfItsDay: link('get /ledger/balances/daily', 'the balance of its day', { parameters: { date: '$response.body#/occurredOn' } }),
      },
    }),
    ...errors(400, 409, 422),
  },
});
const entries = createRoute({
  method: 'get',
  path: '/entries',
  tags,
  summary: 'Entries of one day, page by page',
  request: { query: EntriesQuery },
  responses: { 200: success('entries and nextCursor'), ...errors(400) },
});
const balances = createRoute({
  method: 'get',
  path: '/balances/daily',
  tags,
  summary: 'Daily balances: one date, or from and to',
  request: { query: BalancesQuery },
  responses: { 200: success('balances per day'), ...errors(400) },
});

/**
 * What the ledger routes use: MySQL for entries and balances, Temporal only to wake the relay and
 * Redis only to see it is draining already (both best effort).
 */
export interface LedgerRouteDeps {
  config: Config;
  log: Logger;
  mysql: () => Pool;
  temporal: () => Promise<Client>;
  redis: () => Redis;
}

/** `/ledger`: post entries (outbox, no dependency on Temporal or Kafka), list them, daily balances. */
export function ledgerRoutes(deps: LedgerRouteDeps) {
  const { config, log } = deps;
  const poster = createGroupCommitter(deps.mysql(), { lanes: config.LEDGER_COMMIT_LANES });
  // An entry's runs in the Web UI: the relay that applies it, and the close of its day.
  const view = (e: LedgerEntry) => ({
    ...e,
    amount: fromCents(e.amountCents),
    temporalUi: {
      relay: workflowUiUrl(config, outboxRelayId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE)),
      dayClose: workflowUiUrl(config, dayCloseWorkflowId(config.TIDINGS_ENV, e.merchantId, e.occurredOn)),
    },
  });

  // Best effort, never awaited by the response: the relay's durable timer is the backstop. Hints
  // are coalesced to at most one signal per LEDGER_WAKE_INTERVAL_MS: under a burst the relay is
  // busy anyway (a full batch runs the next at once), and each signal costs Temporal a workflow task.
  let signalling = false;
  let wanted = false;
  let lastSent = 0;
  function wakeRelay(): void {
    if (signalling) {
      wanted = true;
      return;
    }
    signalling = true;
    wanted = false;
    const delay = Math.max(0, lastSent + config.LEDGER_WAKE_INTERVAL_MS - Date.now());
    new Promise((resolve) => setTimeout(resolve, delay).unref())
      .then(async () => {
        lastSent = Date.now();
        // The relay is draining (it polls again within LEDGER_RELAY_POLL_MS): no signal needed.
        // Asked after the entry committed, which is what makes skipping safe (relayDrainingKey).
        const draining = await deps
          .redis()
          .exists(relayDrainingKey(config.TEMPORAL_TASK_QUEUE))
          .catch((err: unknown) => {
            log.debug({ err }, 'relay drain hint unreadable; signalling');
            return 0;
          });
        if (draining) return;
        const client = await deps.temporal();
        await client.workflow.signalWithStart(outboxRelay, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: outboxRelayId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE),
          args: [{ batchSize: config.LEDGER_RELAY_BATCH, idleMs: config.LEDGER_RELAY_IDLE_MS }],
          signal: outboxWakeSignal,
        });
      })
      .catch((err: unknown) => log.debug({ err }, 'outbox relay not woken; its timer will pick the entry up'))
      .finally(() => {
        signalling = false;
        if (wanted) wakeRelay();
      });
  }

  const app = documentedRoutes();
  app.openapi(post, async (c) => {
    const merchantId = c.get('principal').userId;
    const key = c.req.valid('header')['Idempotency-Key'];
    const body = c.req.valid('json');
    const entry = {
      // Time-ordered: each post's row goes to the end of the entries' and outbox's B-trees.
      entryId: timeOrderedUuid(),
      merchantId,
      type: body.type,
      amountCents: toCents(body.amount),
      currency: body.currency,
      description: body.description,
      occurredOn: body.occurredAt,
    };
    // Without a key the post joins a group commit (one multi-row INSERT for the posts in flight;
    // the outbox rows come from a trigger); with a key the key and the entry commit together.
    if (!key) {
      const stored = await poster.post(entry);
      wakeRelay();
      return c.json(view(stored), 201);
    }
    const outcome = await inTransaction(deps.mysql(), async (conn) => {
      const earlier = await claimIdempotencyKey(conn, { scope: 'ledger', principal: merchantId, key, hash: requestHash(body), resourceId: entry.entryId });
      return earlier ? { earlier } : { stored: await insertEntryWithOutbox(conn, entry) };
    });
    if (outcome.stored) {
      wakeRelay();
      return c.json(view(outcome.stored), 201);
    }
    // A replay answers like the original (201, the same entry), marked as a replay.
    const earlier = await getEntry(deps.mysql(), outcome.earlier);
    // The claim committed with the entry, so the row is there; its absence is a broken invariant.
    if (!earlier) throw new Error(`ledger entry ${outcome.earlier} of an idempotency key is missing`);
    c.header('Idempotent-Replayed', 'true');
    return c.json(view(earlier), 201);
  });
  app.openapi(entries, async (c) => {
    const q = c.req.valid('query');
    const page = await listEntries(deps.mysql(), c.get('principal').userId, q.date, { limit: q.limit, after: q.cursor });
    return c.json({ entries: page.entries.map(view), nextCursor: page.nextCursor }, 200);
  });
  app.openapi(balances, async (c) => {
    const q = c.req.valid('query');
    const from = q.date ?? q.from ?? q.to ?? new Date().toISOString().slice(0, 10);
    const asked = q.date ?? q.to ?? (q.from ? addDays(from, BALANCE_DAYS_MAX - 1) : from);
    // At most BALANCE_DAYS_MAX days per answer; `nextFrom` is where the next page starts.
    const last = addDays(from, BALANCE_DAYS_MAX - 1);
    const to = asked > last ? last : asked;
    const days = from <= to ? await dailyBalances(deps.mysql(), c.get('principal').userId, from, to) : [];
    return c.json(
      {
        merchantId: c.get('principal').userId,
        from,
        to,
        days: days.map(balanceView),
        nextFrom: asked > last && last < '9999-12-31' ? addDays(last, 1) : null,
      },
      200,
    );
  });
  return app;
}
