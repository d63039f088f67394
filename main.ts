// The one entry point: runs the roles named in TIDINGS_ROLES (all by default) in this process.
import { randomUUID } from 'node:crypto';
import { channelAuthorizers } from './runtime/channels';
import { startApi } from './api/server';
import { startConsumers } from './consumers';
import { startGateway } from './gateway/server';
import { workflowUiUrl } from './platform/clients/temporal';
import { loadConfig } from './platform/config';
import { createContext, type Context } from './runtime/context';
import { createLogger, prettyLogs } from './platform/logger';
import { startConnectorSimulators } from './simulators/connectors';
import { jaegerAnswers, upBlock } from './runtime/up-block';
import { startWorker } from './worker';
import { ping, pingWorkflowId } from './workflows/ping';

/** Runs one ping through the worker so a fresh start proves every server is reachable. */
async function selfCheck(ctx: Context): Promise<void> {
  const pingId = `startup-${randomUUID()}`;
  const client = await ctx.temporal();
  const result = await client.workflow.execute(ping, {
    taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
    workflowId: pingWorkflowId(ctx.config.TIDINGS_ENV, pingId),
    args: [{ pingId }],
    workflowExecutionTimeout: '1 minute',
  });
  ctx.log.info(
    {
      probes: Object.fromEntries(result.probes.map((p) => [p.server, `${p.ms} ms`])),
      temporalUi: workflowUiUrl(ctx.config, pingWorkflowId(ctx.config.TIDINGS_ENV, pingId)),
    },
    'self-check ping passed: kafka, sns/sqs, redis and mysql reached through the worker',
  );
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, {}, { pretty: prettyLogs(config) });
  const ctx = createContext(config, log);
  ctx.lifecycle.onSignals();
  const roles = new Set(config.TIDINGS_ROLES);
  try {
    const urls: Record<string, string> = {};
    if (roles.has('worker')) await startWorker(ctx);
    if (roles.has('consumers')) urls.consumers = (await startConsumers(ctx)).join(', ') || '(none registered)';
    if (roles.has('gateway')) urls.gateway = await startGateway(ctx, channelAuthorizers(ctx));
    if (roles.has('simulators')) {
      const sims = await startConnectorSimulators(ctx);
      ctx.lifecycle.add('connector simulators', sims, (s) => s.stop());
    }
    if (roles.has('api')) urls.api = await startApi(ctx);
    urls.temporalUi = config.TEMPORAL_UI_URL;
    if (config.TRACING) urls.traces = config.TRACING_UI_URL;
    log.info({ roles: [...roles], ...urls }, 'tidings is up');
    const began = config.TIDINGS_STARTED_AT ? config.TIDINGS_STARTED_AT * 1000 : Date.now() - process.uptime() * 1000;
    process.stdout.write(
      upBlock(config, {
        roles: [...roles],
        ...(urls.api ? { api: urls.api } : {}),
        ...(urls.gateway ? { gateway: urls.gateway } : {}),
        tracesUp: config.TRACING && (await jaegerAnswers(config)),
        seconds: Math.round((Date.now() - began) / 1000),
      }),
    );
    if (roles.has('worker') && config.SELF_CHECK_ON_START) {
      selfCheck(ctx).catch((err: unknown) => log.warn({ err }, 'self-check ping failed; see GET /ready'));
    }
  } catch (err) {
    log.error({ err }, 'start-up failed');
    await ctx.lifecycle.close();
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
