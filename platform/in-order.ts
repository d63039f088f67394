/**
 * Runs `send` for every item: the items of one key one after another in the order given, different
 * keys side by side. Status pushes use it, so a socket sees one purchase's (one message's) statuses
 * in order while the many purchases of a batch do not wait on each other.
 */
export async function inOrderPerKey<T>(items: readonly T[], keyOf: (item: T) => string, send: (item: T) => Promise<unknown>): Promise<void> {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const own = byKey.get(key);
    if (own) own.push(item);
    else byKey.set(key, [item]);
  }
  await Promise.all(
    [...byKey.values()].map(async (own) => {
      for (const item of own) await send(item);
    }),
  );
}
