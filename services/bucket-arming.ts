// Bucket workflows (chat's delivery deadlines, notifications' send times) are armed once per process
// and bucket: one start call each, however many rows go into the bucket, and concurrent callers
// share that call. The chat journey also arms the next slice ahead of time, so the first dispatch
// into a new slice does not wait on a workflow start while it holds its outbox claim.
import type { Client } from '@temporalio/client';
import type { Config } from '../platform/config';

// In flight or done, by bucket workflow id; a failed start is forgotten so the next call retries.
const armed = new Map<string, { fireAt: number; done: Promise<void> }>();

/** Runs `start` once per workflow id (concurrent callers share the call); resolves once it succeeded. */
export function armOnce(workflowId: string, fireAt: number, start: () => Promise<void>): Promise<void> {
  let entry = armed.get(workflowId);
  if (!entry) {
    const done = start().catch((err: unknown) => {
      armed.delete(workflowId);
      throw err;
    });
    entry = { fireAt, done };
    armed.set(workflowId, entry);
    if (armed.size > 10_000) {
      const now = Date.now();
      for (const [id, e] of armed) if (e.fireAt < now) armed.delete(id);
    }
  }
  return entry.done;
}

/**
 * Arms the bucket of `fireAt` (awaited) and, without waiting, the one after it. The pre-arm's
 * failure is not lost: that slice's first dispatch arms it again and waits for the answer.
 */
export async function armWithNext(
  bucket: (fireAt: number, ahead: boolean) => { workflowId: string; start: () => Promise<void> },
  fireAt: number,
  sliceMs: number,
): Promise<string> {
  const current = bucket(fireAt, false);
  await armOnce(current.workflowId, fireAt, current.start);
  const next = bucket(fireAt + sliceMs, true);
  armOnce(next.workflowId, fireAt + sliceMs, next.start).catch(() => undefined);
  return current.workflowId;
}

export interface BucketStartDeps {
  config: Config;
  temporal: () => Promise<Client>;
  /**
   * Start buckets with a start delay (default): the server dispatches nothing until the bucket's
   * time, so a bucket costs one workflow task whatever it holds. Off for the time-skipping test
   * server, where the bucket's own sleep does the waiting.
   */
  startDelay?: boolean;
}

/** One bucket workflow run: its journey's workflow type, id, fire time, input and Web UI memo. */
export interface BucketSpec<I> {
  workflowType: string;
  workflowId: string;
  fireAt: number;
  input: I;
  memo: Record<string, unknown>;
}

/** How to start a bucket (for armOnce / armWithNext): idempotent by workflow id. */
export function bucketStart<I>(deps: BucketStartDeps, b: BucketSpec<I>, now: number): { workflowId: string; start: () => Promise<void> } {
  return {
    workflowId: b.workflowId,
    start: async () => {
      const client = await deps.temporal();
      await client.workflow.start(b.workflowType, {
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        workflowId: b.workflowId,
        // Sleeping until its time: use it. Closed: its time has passed (a caller slower than the
        // slice); a new run fires at once and takes what is overdue.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        ...(deps.startDelay === false ? {} : { startDelay: Math.max(0, b.fireAt - now) }),
        args: [b.input],
        memo: b.memo,
      });
    },
  };
}

/** Starts the bucket unless this process has (or is doing it now); resolves once it runs. */
export function armBucket<I>(deps: BucketStartDeps, b: BucketSpec<I>, now: number): Promise<void> {
  return armOnce(b.workflowId, b.fireAt, bucketStart(deps, b, now).start);
}
