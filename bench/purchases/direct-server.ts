// The baseline for the purchase benchmark: the seed's path without Temporal. The API publishes
// PurchaseRequested straight to SNS; a worker consumes SQS, effects the contract and pushes the
// outcome to the user's WebSocket. No durable state between the steps.
import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { Hono } from 'hono';
import { z } from 'zod';
import { requireJwt, type ApiVariables } from '../../api/middleware/auth';
import { startSqsConsumer } from '../../consumers/sqs-runner';
import { quote } from '../../domain/purchase-quote';
import { startGateway } from '../../gateway/server';
import { createTokenVerifier } from '../../platform/auth/jwt';
import { topicArn } from '../../platform/clients/aws';
import { loadConfig } from '../../platform/config';
import { createContext } from '../../runtime/context';
import { AppError } from '../../platform/errors';
import { listen } from '../../platform/http/serve';
import { jsonBody } from '../../platform/http/validate';
import { createLogger } from '../../platform/logger';
import { namesOf } from '../../platform/names';
import { effectContract, getProduct } from '../../stores/purchases';

const config = loadConfig();
const ctx = createContext(config, createLogger(config.LOG_LEVEL, { role: 'direct-baseline' }));
ctx.lifecycle.onSignals();
const Body = z.object({ productId: z.string(), quantity: z.number().int().positive(), installments: z.number().int().positive() });

await startGateway(ctx);
const app = new Hono<{ Variables: ApiVariables }>();
app.use('*', requireJwt(createTokenVerifier(config)));
app.post('/purchases', async (c) => {
  const body = await jsonBody(c, Body);
  const product = await getProduct(ctx.mysql(), body.productId);
  if (!product) throw new AppError(422, 'unknown_product', 'no such product', { field: 'productId' });
  const q = quote(product, body);
  const purchaseId = randomUUID();
  const message = {
    type: 'PurchaseRequested',
    purchaseId,
    userId: c.get('principal').userId,
    productId: q.productId,
    quantity: q.quantity,
    totalCents: q.totalCents,
  };
  await ctx.sns().send(new PublishCommand({ TopicArn: topicArn(config, namesOf(config).snsTopics.purchaseRequested.name), Message: JSON.stringify(message) }));
  return c.json({ purchaseId }, 202);
});
const server = await listen(app as unknown as Hono, config.HOST, config.API_PORT);
ctx.lifecycle.add('direct api', server, (s) => new Promise((r) => s.close(() => r(undefined))));
const consumer = startSqsConsumer({
  name: 'direct-fulfillment',
  sqs: ctx.sqs(),
  log: ctx.log,
  queueName: namesOf(config).queues.purchaseProcessing.name,
  waitSeconds: 1,
  pollers: config.SQS_POLLERS,
  handle: async (raw) => {
    const m = JSON.parse(raw) as { type: string; purchaseId: string; userId: string; productId: string; quantity: number };
    if (m.type !== 'PurchaseRequested') return;
    const outcome = await effectContract(ctx.mysql(), m.purchaseId, m.productId, m.quantity);
    await ctx.publisher().publish(`user:${m.userId}`, 'purchase.status', { purchaseId: m.purchaseId, status: outcome.outcome }, { countConnections: false });
  },
});
ctx.lifecycle.add('direct fulfillment', consumer, (c) => c.stop());
process.send?.('ready');
