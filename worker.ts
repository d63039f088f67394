import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { context } from '@opentelemetry/api';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  makeTelemetryFilterString,
  type ActivityInboundCallsInterceptor,
  type LogLevel,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from './activities';
import { outboxRelay, outboxRelayId } from './workflows/ledger';
import { messageRelay } from './workflows/message-timers';
import { messageRelayId } from './contracts/messages';
import { purchaseRelay } from './workflows/purchase-relay';
import { purchaseRelayId } from './contracts/purchase';
import type { Context } from './runtime/context';
import { workflowBundle } from './runtime/workflow-bundle';
import { roleExport, roleTracer, withRole } from './platform/tracing';

/** The workflow bundle's entry; resolved from this file so it works wherever the repo lives. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let runtimeInstalled = false;
/**
 * Once per process: SDK and core logs go through pino at WARN and above, and the SDK installs no
 * signal handlers of its own: the lifecycle owns shutdown order (worker drains, then connections).
 */
function installRuntime(ctx: Context): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const log = ctx.log.child({ component: 'temporal-sdk' });
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => log[PINO_LEVEL[level]](meta ?? {}, message)),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
}

/** Marks an activity's spans (and what it calls: SNS, Kafka, MySQL, pushes) as the worker's. */
const workerRole: ActivityInboundCallsInterceptor = {
  execute: (input, next) => context.with(withRole(context.active(), 'worker'), () => next(input)),
};

/** The workflow interceptors tracing compiles into the workflow bundle. */
export const WORKFLOW_TRACING_MODULES = [createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

/** The workflow interceptors the worker's bundle is built with: tracing's, when spans are exported. */
export const workflowInterceptorModules = (): string[] => (roleExport('worker') ? WORKFLOW_TRACING_MODULES : []);

/**
 * With tracing on: workflow spans (run, signals, activity and child starts) are made inside the
 * sandbox by the official interceptors and leave through a sink into the worker's exporter (only on
 * first execution, never on replay); activity spans continue the context the workflow put in the
 * activity's headers. The sandbox interceptors are guarded by SDK flags, so turning tracing on or
 * off does not break the replay of running workflows.
 */
export function tracingWorkerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const exported = roleExport('worker');
  if (!exported) return {};
  const tracer = roleTracer('worker');
  return {
    interceptors: {
      // The workflow side is compiled into the bundle (workflowInterceptorModules below).
      activity: [
        () => ({ inbound: workerRole }),
        (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(exported.processor, exported.resource) },
  };
}

/** The `worker` role: polls the `tidings` task queue for workflow and activity tasks. */
export async function startWorker(ctx: Context): Promise<void> {
  installRuntime(ctx);
  const { config, lifecycle, log } = ctx;
  const connection = lifecycle.add('temporal worker connection', await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }), (c) => c.close());
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundle({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: workflowInterceptorModules() }),
    ...tracingWorkerOptions(),
    activities: createActivities({
      config,
      kafka: ctx.kafka(),
      producer: ctx.producer,
      sns: ctx.sns(),
      sqs: ctx.sqs(),
      redis: ctx.redis(),
      mysql: ctx.mysql(),
      publisher: ctx.publisher,
      temporal: ctx.temporal,
    }),
  });
  ctx.setLocalWorkerConnection(connection);
  const running = worker.run();
  running.catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
  // Shutdown lets in-flight activities finish (up to the worker's grace time) before connections go.
  lifecycle.add('temporal worker', worker, async (w) => {
    if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch(() => undefined);
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker polling');
  if (config.LEDGER_RELAY_ON_START) await ensureOutboxRelay(ctx);
  if (config.MESSAGE_RELAY_ON_START) await ensureMessageRelay(ctx);
  if (config.PURCHASE_RELAY_ON_START) await ensurePurchaseRelay(ctx);
}

/** Starts the purchase outbox relay unless it runs already (every worker start checks). */
export async function ensurePurchaseRelay(ctx: Context): Promise<void> {
  const { config } = ctx;
  const client = await ctx.temporal();
  await client.workflow.start(purchaseRelay, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: purchaseRelayId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE),
    args: [
      {
        batchSize: config.PURCHASE_RELAY_BATCH,
        idleMs: config.PURCHASE_RELAY_IDLE_MS,
        maxIdleMs: Math.max(config.PURCHASE_RELAY_MAX_IDLE_MS, config.PURCHASE_RELAY_IDLE_MS),
        minAgeMs: 1_000,
      },
    ],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** Starts the singleton outbox relay unless it runs already (every worker start checks). */
export async function ensureOutboxRelay(ctx: Context): Promise<void> {
  const { config } = ctx;
  const client = await ctx.temporal();
  await client.workflow.start(outboxRelay, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: outboxRelayId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE),
    args: [{ batchSize: config.LEDGER_RELAY_BATCH, idleMs: config.LEDGER_RELAY_IDLE_MS }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** Starts the message outbox relay unless it runs already (every worker start checks). */
export async function ensureMessageRelay(ctx: Context): Promise<void> {
  const { config } = ctx;
  const client = await ctx.temporal();
  await client.workflow.start(messageRelay, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: messageRelayId(config.TIDINGS_ENV, config.TEMPORAL_TASK_QUEUE),
    args: [{ batchSize: config.MESSAGE_RELAY_BATCH, idleMs: config.MESSAGE_RELAY_IDLE_MS, minAgeMs: 1_000 }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
