/**
 * The innermost error's message: Temporal wraps failures (an ActivityFailure around an
 * ApplicationFailure, an Update failure around the validator's error), and the useful words are at
 * the bottom. Pure, so workflow code may use it.
 */
export function rootMessage(err: unknown, fallback: string): string {
  let root: unknown = err;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  return root instanceof Error && root.message ? root.message : fallback;
}
