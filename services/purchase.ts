// The purchase journey's glue, shared by the API, the results consumer and the activities: starting
// a purchase's run from the outbox, and moving a purchase forward in MySQL while its user is told.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Counter } from 'prom-client';
import type { Pool } from 'mysql2/promise';
import {
  CUSTOMER_ID_ATTRIBUTE,
  PURCHASE_STATUS_ATTRIBUTE,
  PURCHASE_STATUS_EVENT,
  PURCHASE_WORKFLOW,
  purchaseChannel,
  purchaseRelayId,
  purchaseRelayWakeSignal,
  purchaseWorkflowId,
  type PurchaseMove,
  type PurchaseWorkflow,
} from '../contracts/purchase';
import type { Publisher } from '../gateway/publisher';
import { startOnce } from '../platform/clients/temporal';
import { createCoalescingDispatcher } from '../platform/coalescing-dispatcher';
import { inTransaction } from '../platform/db/transaction';
import { inOrderPerKey } from '../platform/in-order';
import { metrics } from '../platform/metrics';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { continueTrace, contextFromTraceparent, inSpan } from '../platform/trace-context';
import { acceptedNotStarted, markStarted, type AcceptedPurchase } from '../stores/purchase-outbox';
import { movePurchase, type MoveOutcome, type PurchaseHop } from '../stores/purchases';

/** Pushes hops on their users' channels: each purchase's hops in order, purchases side by side. */
export async function pushHops(publisher: Publisher, hops: PurchaseHop[]): Promise<void> {
  await inOrderPerKey(
    hops,
    (h) => h.purchaseId,
    (h) => {
      // Under the purchase's own trace (a step may run in a process serving many purchases).
      const { parent, links } = continueTrace(h.traceparent);
      return inSpan(`purchase ${h.status}`, { parent, links, attributes: { 'purchase.id': h.purchaseId, 'purchase.status': h.status } }, () =>
        publisher.publish(
          purchaseChannel(h.userId),
          PURCHASE_STATUS_EVENT,
          { purchaseId: h.purchaseId, status: h.status, detail: h.detail, at: new Date(h.at).toISOString() },
          // The same status pushed again (a retried step) is not shown twice.
          { countConnections: false, dedupeId: `purchase:${h.purchaseId}:${h.status}` },
        ),
      );
    },
  );
}

/**
 * Moves a purchase forward in MySQL and tells its user before the commit: the row stays locked
 * until then, so a later move of the same purchase (any process) waits, and the user's socket sees
 * the statuses in order.
 */
export function movePurchaseAndPush(deps: { mysql: Pool; publisher: () => Publisher }, move: Omit<PurchaseMove, 'userId'>): Promise<MoveOutcome> {
  return inTransaction(
    deps.mysql,
    async (conn) => {
      const r = await movePurchase(conn, move);
      if (!r.repeat && r.hops.length > 0) await pushHops(deps.publisher(), r.hops);
      return r;
    },
    // READ COMMITTED: the lock covers only this purchase's row, so other purchases never wait.
    { isolation: 'READ COMMITTED' },
  );
}

/** Purchase runs this process started, by whether the start was eager (handed to its own worker). */
export const purchaseStarts = new Counter({
  name: 'tidings_purchase_runs_started_total',
  help: 'Purchase workflow runs started by this process',
  labelNames: ['eager'] as const,
  registers: [metrics],
});

export interface PurchaseStartDeps {
  config: Config;
  mysql: Pool;
  temporal: () => Promise<Client>;
  /** A client on this process's own worker connection, when it runs one: starts are then eager. */
  localWorkerClient?: () => Client | undefined;
}

/**
 * Starts one accepted purchase's run, in its request's trace; false when it had been started
 * already. With this process's own worker at hand the start is eager: the server answers with the
 * run's first task for that worker instead of queueing it (one matching hop less per purchase).
 */
async function startRun(deps: PurchaseStartDeps, remote: Client, p: AcceptedPurchase): Promise<boolean> {
  const { config } = deps;
  const local = deps.localWorkerClient?.();
  return inSpan('purchase start', { parent: contextFromTraceparent(p.traceparent), attributes: { 'purchase.id': p.purchaseId } }, async () => {
    const handle = await startOnce<PurchaseWorkflow>(local ?? remote, PURCHASE_WORKFLOW, {
      ...(local ? { requestEagerStart: true } : {}),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: purchaseWorkflowId(config.TIDINGS_ENV, p.purchaseId),
      args: [{ purchaseId: p.purchaseId, userId: p.userId, quote: p.quote, resultTimeoutMs: config.PURCHASE_RESULT_TIMEOUT_MS }],
      // Free at start (an upsert later is an action): the Web UI finds a customer's purchases.
      typedSearchAttributes: [
        { key: CUSTOMER_ID_ATTRIBUTE, value: p.userId },
        { key: PURCHASE_STATUS_ATTRIBUTE, value: 'RECEIVED' },
      ],
    });
    if (handle) purchaseStarts.inc({ eager: String(handle.eagerlyStarted === true) });
    return handle !== undefined;
  });
}

/**
 * Starts the runs of accepted purchases (these ids, or those older than `olderThan`) and removes
 * their outbox rows. A run that exists already counts as started: the workflow id is the claim, so
 * the API and the relay may both try.
 */
export async function startAcceptedPurchases(
  deps: PurchaseStartDeps,
  which: { purchaseIds: string[] } | { olderThan: number; limit: number },
): Promise<{ found: number; started: number }> {
  const accepted = await acceptedNotStarted(deps.mysql, which);
  if (accepted.length === 0) return { found: 0, started: 0 };
  const client = await deps.temporal();
  const settled = await Promise.allSettled(accepted.map((p) => startRun(deps, client, p)));
  await markStarted(
    deps.mysql,
    accepted.filter((_, i) => settled[i]!.status === 'fulfilled').map((p) => p.purchaseId),
  );
  // Those that failed keep their outbox rows (for the next try or the relay); the first error is the caller's.
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { found: accepted.length, started: settled.filter((r) => r.status === 'fulfilled' && r.value).length };
}

/**
 * Wakes the purchase relay after a failed start. The row waits in the outbox, and the relay, backed
 * off while the outbox was empty, would see it only at its next tick (up to
 * PURCHASE_RELAY_MAX_IDLE_MS). Temporal is likely down right then, so the signal is retried until it
 * is taken: the relay ticks as soon as the server is back. One wake in flight at a time.
 */
function createRelayWaker(deps: Pick<PurchaseStartDeps, 'config' | 'temporal'>) {
  let waking: Promise<void> | undefined;
  let stopped = false;
  const signal = async () => {
    const client = await deps.temporal();
    await client.workflow.getHandle(purchaseRelayId(deps.config.TIDINGS_ENV, deps.config.TEMPORAL_TASK_QUEUE)).signal(purchaseRelayWakeSignal);
  };
  const loop = async () => {
    for (let delayMs = 500; !stopped; delayMs = Math.min(delayMs * 2, 5_000)) {
      try {
        await signal();
        return;
      } catch (err) {
        // No relay on this task queue: the worker starts one when it starts, and its first tick drains.
        if (err instanceof WorkflowNotFoundError) return;
        // Unref'd: a wake still retrying never holds a stopping process.
        await new Promise((r) => setTimeout(r, delayMs).unref());
      }
    }
  };
  return {
    wake(): void {
      if (stopped) return;
      waking ??= loop().finally(() => {
        waking = undefined;
      });
    },
    stop(): void {
      stopped = true;
    },
  };
}

/** The API's own start of the purchases it accepted, right after each commit (the relay workflow is the backstop). */
export function createPurchaseStarter(deps: PurchaseStartDeps & { log: Logger; batch: number }) {
  const waker = createRelayWaker(deps);
  const dispatcher = createCoalescingDispatcher({
    what: 'purchase start',
    batch: deps.batch,
    log: deps.log,
    dispatch: async (ids) => {
      try {
        return await startAcceptedPurchases(deps, { purchaseIds: ids });
      } catch (err) {
        waker.wake();
        throw err;
      }
    },
  });
  return {
    kick: dispatcher.kick,
    drain: dispatcher.drain,
    /** Forgets what is queued and stops waking the relay (shutdown: the relay's own tick sends it). */
    stop(): void {
      dispatcher.stop();
      waker.stop();
    },
  };
}

export type PurchaseStarter = ReturnType<typeof createPurchaseStarter>;
