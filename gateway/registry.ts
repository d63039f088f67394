import type { Redis } from 'ioredis';

// Keys (each prefixed with the environment's prefix by the Redis client):
//   conn:{connectionId}           hash  userId, instanceId, connectedAt
//   user-conns:{userId}           hash  connectionId -> instanceId
//   chan-conns:{channel}          hash  instanceId -> live subscriptions on that instance
//   gateway-instance:{instanceId} string, expires unless the instance keeps refreshing it
//   gateway-instances             set of instance ids ever seen (for the reaper)
//   instance-conns:{instanceId}   set of that instance's connection ids
const k = {
  conn: (id: string) => `conn:${id}`,
  userConns: (userId: string) => `user-conns:${userId}`,
  chanConns: (channel: string) => `chan-conns:${channel}`,
  instance: (id: string) => `gateway-instance:${id}`,
  instances: 'gateway-instances',
  instanceConns: (id: string) => `instance-conns:${id}`,
};

/** Which instances are alive, from their heartbeat keys. */
async function aliveInstances(redis: Redis, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const values = await redis.mget(ids.map(k.instance));
  return new Set(ids.filter((_, i) => values[i] !== null));
}

/** Presence, readable from any process: counts only connections on instances that are alive. */
export function createPresence(redis: Redis) {
  return {
    /** Live connections of a user across all gateway instances. */
    async userConnections(userId: string): Promise<number> {
      const byConn = await redis.hgetall(k.userConns(userId));
      const alive = await aliveInstances(redis, [...new Set(Object.values(byConn))]);
      return Object.values(byConn).filter((i) => alive.has(i)).length;
    },
    async isOnline(userId: string): Promise<boolean> {
      return (await this.userConnections(userId)) > 0;
    },
    /** Live subscriptions to a channel across all gateway instances. */
    async channelConnections(channel: string): Promise<number> {
      const byInstance = await redis.hgetall(k.chanConns(channel));
      const alive = await aliveInstances(redis, Object.keys(byInstance));
      return Object.entries(byInstance).reduce((n, [i, c]) => n + (alive.has(i) ? Number(c) : 0), 0);
    },
  };
}
export type Presence = ReturnType<typeof createPresence>;

/** One gateway instance's writes to the registry. */
export function createRegistry(redis: Redis, instanceId: string, instanceTtlMs: number) {
  return {
    /** Marks this instance alive; call every instanceTtlMs / 3. */
    async heartbeat(): Promise<void> {
      await redis.multi().set(k.instance(instanceId), String(Date.now()), 'PX', instanceTtlMs).sadd(k.instances, instanceId).exec();
    },

    async addConnection(connectionId: string, userId: string): Promise<void> {
      await redis
        .multi()
        .hset(k.conn(connectionId), { userId, instanceId, connectedAt: new Date().toISOString() })
        .hset(k.userConns(userId), connectionId, instanceId)
        .sadd(k.instanceConns(instanceId), connectionId)
        .exec();
    },

    async removeConnection(connectionId: string, userId: string): Promise<void> {
      await redis.multi().del(k.conn(connectionId)).hdel(k.userConns(userId), connectionId).srem(k.instanceConns(instanceId), connectionId).exec();
    },

    /** Adjusts this instance's subscription count for a channel. */
    async channelDelta(channel: string, delta: number): Promise<void> {
      const n = await redis.hincrby(k.chanConns(channel), instanceId, delta);
      if (n <= 0) await redis.hdel(k.chanConns(channel), instanceId);
    },

    /** Removes everything this instance registered (graceful shutdown). */
    async removeInstance(): Promise<void> {
      await reapInstance(redis, instanceId);
    },
  };
}
export type Registry = ReturnType<typeof createRegistry>;

/** Deletes the registry entries of one instance (its connections and channel counts). */
async function reapInstance(redis: Redis, instanceId: string): Promise<number> {
  const connIds = await redis.smembers(k.instanceConns(instanceId));
  const conns = await Promise.all(connIds.map((id) => redis.hget(k.conn(id), 'userId')));
  const tx = redis.multi();
  connIds.forEach((id, i) => {
    tx.del(k.conn(id));
    const userId = conns[i];
    if (userId) tx.hdel(k.userConns(userId), id);
  });
  tx.del(k.instanceConns(instanceId)).del(k.instance(instanceId)).srem(k.instances, instanceId);
  await tx.exec();
  // Channel counts: scan the chan-conns hashes for this instance's field.
  // SCAN patterns and the keys it returns carry the client's key prefix, which commands add again.
  const prefix = redis.options.keyPrefix ?? '';
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}${k.chanConns('*')}`, 'COUNT', 500);
    cursor = next;
    if (keys.length) {
      const tx2 = redis.multi();
      for (const key of keys) tx2.hdel(key.slice(prefix.length), instanceId);
      await tx2.exec();
    }
  } while (cursor !== '0');
  return connIds.length;
}

/**
 * Cleans up after instances that died without unregistering (crash, kill -9): any gateway runs
 * this periodically. Presence is already correct before it runs (it checks liveness); this only
 * reclaims memory. Returns how many connections were removed.
 */
export async function reapDeadInstances(redis: Redis): Promise<number> {
  const ids = await redis.smembers(k.instances);
  const alive = await aliveInstances(redis, ids);
  let removed = 0;
  for (const id of ids) if (!alive.has(id)) removed += await reapInstance(redis, id);
  return removed;
}
