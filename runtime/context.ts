import type { Producer } from 'kafkajs';
import { createSns, createSqs } from '../platform/clients/aws';
import { createKafka } from '../platform/clients/kafka';
import { createRecoveringProducer } from '../platform/clients/kafka-producer';
import { rememberingPartitioner } from '../platform/clients/kafka-partitioner';
import { traceProducer } from '../platform/clients/broker-tracing';
import { createMysqlPool } from '../platform/clients/mysql';
import { closeRedis, createRedis } from '../platform/clients/redis';
import type { Client, ConnectionLike } from '@temporalio/client';
import { connectTemporal, createTemporalClient } from '../platform/clients/temporal';
import type { Config } from '../platform/config';
import { createPresence } from '../gateway/registry';
import { createPublisher } from '../gateway/publisher';
import { Lifecycle } from '../platform/lifecycle';
import { createLogger, type Logger } from '../platform/logger';
import { flushTracing, installTracing } from '../platform/tracing';

/** Builds a value on first use and caches it (roles only open the connections they need). */
function lazy<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

/** Like `lazy` for async values, but forgets a failure so the next call tries again. */
function lazyAsync<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= make().catch((err: unknown) => {
      pending = undefined;
      throw err;
    }));
}

/**
 * The process's shared clients, created on first use and closed (in reverse order) by the
 * lifecycle. One per process, whatever roles it runs.
 */
export function createContext(config: Config, log: Logger = createLogger(config.LOG_LEVEL)) {
  const lifecycle = new Lifecycle(log, config.SHUTDOWN_TIMEOUT_MS);
  // Once per process (tests build many contexts); the last spans are sent when the context closes.
  if (installTracing(config, log)) lifecycle.add('tracing', null, () => flushTracing());
  const kafka = lazy(() => createKafka(config, log));
  const producers = lazy(() =>
    lifecycle.add(
      'kafka producer',
      createRecoveringProducer(
        async (): Promise<Producer> => {
          const p = kafka().producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: rememberingPartitioner() });
          await p.connect();
          return traceProducer(p);
        },
        log.child({ component: 'kafka-producer' }),
      ),
      (x) => x.close(),
    ),
  );
  const producer = (): Promise<Producer> => producers().get();
  const temporalConnection = lazyAsync(async () => lifecycle.add('temporal connection', await connectTemporal(config), (c) => c.close()));
  const redis = lazy(() => lifecycle.add('redis', createRedis(config, log), closeRedis));
  // A client on this process's worker connection, once the worker role runs here: a workflow it
  // starts with `requestEagerStart` gets its first task handed to that worker in the start's
  // answer, skipping the server's task queue (the SDK requires the client and worker to share a
  // NativeConnection for that).
  let local: { connection: ConnectionLike; client?: Client } | undefined;
  const presence = lazy(() => createPresence(redis()));
  return {
    config,
    log,
    lifecycle,
    kafka,
    producer,
    redis,
    /** Who is online, on how many connections (any process). */
    presence,
    /** Publishes to gateway channels from any process: history for recovery plus live fan-out. */
    publisher: lazy(() =>
      createPublisher(redis(), {
        maxLen: config.GATEWAY_STREAM_MAXLEN,
        ttlSeconds: config.GATEWAY_STREAM_TTL_SECONDS,
        liveOnlyNamespaces: config.GATEWAY_LIVE_ONLY_NAMESPACES,
        presence: presence(),
      }),
    ),
    mysql: lazy(() => lifecycle.add('mysql', createMysqlPool(config), (p) => p.end())),
    sns: lazy(() => lifecycle.add('sns', createSns(config), (c) => c.destroy())),
    sqs: lazy(() => lifecycle.add('sqs', createSqs(config), (c) => c.destroy())),
    temporalConnection,
    temporal: lazyAsync(async () => createTemporalClient(config, await temporalConnection())),
    /** Called by the worker role: this process polls the task queue over `connection`. */
    setLocalWorkerConnection(connection: ConnectionLike): void {
      local = { connection };
    },
    /** A client that can start workflows eagerly on this process's worker, if it runs one. */
    localWorkerClient(): Client | undefined {
      if (!local) return undefined;
      local.client ??= createTemporalClient(config, local.connection);
      return local.client;
    },
  };
}

export type Context = ReturnType<typeof createContext>;
