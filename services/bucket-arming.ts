// Deadline buckets are armed once per process and slice (a start call each), and the next slice is
// armed ahead of time, so the first dispatch into a new slice does not wait on a workflow start
// while it holds its outbox claim. Shared by the chat and purchase journeys' buckets.

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
