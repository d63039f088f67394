import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerChannel } from '../contracts/channels';
import { relayDrainingKey, type RelayBatchResult } from '../contracts/ledger';
import { insertEntryWithOutbox } from '../stores/ledger';
import { eventually, ownEnvironment, testContext, uniqueId } from '../test/support/context';
import { createLedgerActivities } from './ledger';

// The relay's drain against the real MariaDB, Redis and Kafka: one activity keeps polling while
// posts arrive, holds the "draining" hint meanwhile (the API sends no wake signal then), and
// releases it before it returns.
describe('ledger relay drain', () => {
  // Its own environment: the drain claims every pending outbox row of its database for 20 s, so on
  // the run's database it would apply the entries of test/ledger.e2e.test.ts beside it and hand
  // their days' closes back to this test instead of to that file's relay.
  const own = ownEnvironment();
  // A long poll, so the drain's pause between batches is wide enough to post into.
  const ctx = testContext({ TIDINGS_ENV: own.env, LEDGER_RELAY_POLL_MS: '1500', LEDGER_RELAY_DRAIN_MS: '20000' });
  afterAll(async () => {
    await ctx.lifecycle.close();
    own.teardown();
  }, 60_000);
  const activities = createLedgerActivities({
    config: ctx.config,
    mysql: ctx.mysql(),
    producer: ctx.producer,
    temporal: ctx.temporal,
    publisher: ctx.publisher,
    redis: ctx.redis(),
  });
  const key = relayDrainingKey(ctx.config.TEMPORAL_TASK_QUEUE);
  const post = (merchantId: string) =>
    insertEntryWithOutbox(ctx.mysql(), {
      entryId: randomUUID(),
      merchantId,
      type: 'credit',
      amountCents: 100,
      currency: 'BRL',
      description: 'drain',
      occurredOn: '2026-11-20',
    });
  const applied = async (ids: string[]) =>
    Number(
      (await ctx.mysql().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM ledger_outbox WHERE applied_at IS NOT NULL AND entry_id IN (?)', [ids]))[0][0]!.n,
    );

  it('applies entries posted while it runs in the same activity, holding the hint between polls and releasing it at the end', async () => {
    const merchant = uniqueId('drain');
    const first = await Promise.all(Array.from({ length: 3 }, () => post(merchant)));
    let returned = false;
    const run = new MockActivityEnvironment().run(activities.relayOutboxBatch, 500, { closes: 'return' as const }).finally(() => (returned = true));
    await eventually(async () => (await applied(first.map((e) => e.entryId))) === 3);
    // Between polls: still running, and the hint is held.
    expect(await ctx.redis().exists(key)).toBe(1);
    expect(returned).toBe(false);
    const second = await Promise.all(Array.from({ length: 3 }, () => post(merchant)));
    const result = (await run) as RelayBatchResult;
    expect(await applied(second.map((e) => e.entryId))).toBe(3);
    expect(result.claimed).toBeGreaterThan(0);
    expect(await ctx.redis().exists(key)).toBe(0);
  });

  it("pushes a merchant's balance at most every 250 ms while batches follow each other, and the last push shows every entry", async () => {
    const merchant = uniqueId('push');
    const pushed: { channel: string; data: { days: { consolidatedCount: number }[] } }[] = [];
    const recording = createLedgerActivities({
      config: ctx.config,
      mysql: ctx.mysql(),
      producer: ctx.producer,
      temporal: ctx.temporal,
      publisher: () => ({
        ...ctx.publisher(),
        publish: (channel, event, data, options) => {
          if (channel === ledgerChannel(merchant)) pushed.push({ channel, data: data as (typeof pushed)[number]['data'] });
          return ctx.publisher().publish(channel, event, data, options);
        },
      }),
      redis: ctx.redis(),
    });
    const entries = await Promise.all(Array.from({ length: 10 }, () => post(merchant)));
    // Batches of one: ten full batches back to back, so nothing waits between them.
    await new MockActivityEnvironment().run(recording.relayOutboxBatch, 1, { closes: 'return' as const });
    expect(await applied(entries.map((e) => e.entryId))).toBe(10);
    expect(pushed.length).toBeGreaterThan(0);
    expect(pushed.length).toBeLessThan(10);
    expect(pushed.at(-1)!.data.days[0]!.consolidatedCount).toBe(10);
  });
});
