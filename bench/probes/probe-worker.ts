// The set-up the Temporal probes share: a worker on a task queue of its own running the probe
// workflows (la-hop-workflows.ts) with a `hop` local activity that does nothing, a client on the
// worker's own connection (its starts can be eager, as the API's are) and a client on a connection
// of its own (as the results consumer's signals come).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

export async function probeWorker(name: string) {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const taskQueue = `probe-${name}-${randomUUID().slice(0, 8)}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: createRequire(import.meta.url).resolve('./la-hop-workflows.ts'),
    activities: { hop: async (n: number) => n },
  });
  return {
    taskQueue,
    worker,
    /** Shares the worker's connection: `requestEagerStart` hands the first task to this worker. */
    eagerClient: new Client({ connection: nativeConnection as never }),
    client: new Client({ connection: await Connection.connect({ address }) }),
    close: () => nativeConnection.close(),
  };
}
