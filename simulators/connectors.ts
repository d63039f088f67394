// The `simulators` role: stand-ins for the WhatsApp and Instagram connectors of the seed. They
// consume Kafka `messages` and, after configurable delays, emit SENT and then DELIVERED to
// `msg.status`; a configurable share of messages is never delivered (so the FAILED deadline shows).
import { contextFromKafkaHeaders, inSpan, SpanKind } from '../platform/trace-context';
import { OutgoingMessageSchema, produceStatus, type OutgoingMessage, type StatusEvent } from '../services/message-status';
import type { Context } from '../runtime/context';
import { namesOf } from '../platform/names';
import { joinGroup } from '../platform/clients/kafka-group';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Status reports produced while a send is under way go out together in the next one: at chat rates
 * one Kafka request per report would be the simulators' bottleneck (the producer keeps one request
 * in flight). Each caller learns whether its own report was sent.
 */
function coalesced(send: (events: StatusEvent[]) => Promise<void>): (e: StatusEvent) => Promise<void> {
  let queue: { e: StatusEvent; done: (err?: unknown) => void }[] = [];
  let running = false;
  const loop = async () => {
    running = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await send(batch.map((q) => q.e));
        for (const q of batch) q.done();
      } catch (err) {
        for (const q of batch) q.done(err);
      }
    }
    running = false;
  };
  return (e) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ e, done: (err) => (err === undefined ? resolve() : reject(err as Error)) });
      if (!running) void loop();
    });
}

export async function startConnectorSimulators(ctx: Context, opts: { groupId?: string; fromBeginning?: boolean } = {}) {
  const { config } = ctx;
  const log = ctx.log.child({ role: 'simulators' });
  const { consumer, ready } = await joinGroup(ctx.kafka(), {
    groupId: opts.groupId ?? namesOf(config).group(config.KAFKA_GROUP_PREFIX, 'connectors'),
    topics: [namesOf(config).topics.messages],
    fromBeginning: opts.fromBeginning ?? config.KAFKA_NEW_GROUP_FROM === 'earliest',
  });

  const emit = coalesced((events) => produceStatus(ctx, events));
  async function simulate(m: OutgoingMessage): Promise<void> {
    const base = {
      messageId: m.messageId,
      conversationId: m.conversationId,
      organizationId: m.organizationId,
      channel: m.channel,
      source: `${m.channel}-simulator`,
    };
    await sleep(config.SIM_SENT_DELAY_MS);
    await emit({ ...base, status: 'SENT', at: Date.now() });
    if (Math.random() < config.SIM_FAILURE_RATE) return; // lost by the "provider": never delivered
    await sleep(config.SIM_DELIVERED_DELAY_MS);
    await emit({ ...base, status: 'DELIVERED', at: Date.now() });
  }

  // A whole batch is simulated concurrently (delays overlap), then its offsets are committed. A
  // report that could not be produced fails the batch, which is simulated again (as a provider
  // retries its webhook): the reports are idempotent downstream.
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const readable = batch.messages.flatMap((record) => {
        try {
          return [{ m: OutgoingMessageSchema.parse(JSON.parse(record.value?.toString() ?? '')), record }];
        } catch (err) {
          log.warn({ err, offset: record.offset }, 'simulator skipped a record it could not read');
          return [];
        }
      });
      // Each simulated delivery continues its message's trace (the record's headers).
      await Promise.all(
        readable.map(({ m, record }) =>
          inSpan(
            `${m.channel} connector simulate`,
            { kind: SpanKind.CONSUMER, role: 'simulators', parent: contextFromKafkaHeaders(record.headers), attributes: { 'tidings.message_id': m.messageId } },
            () => simulate(m),
          ),
        ),
      );
      for (const record of batch.messages) resolveOffset(record.offset);
      await heartbeat();
    },
  });
  log.info('connector simulators (whatsapp, instagram) consuming messages');
  return { ready, stop: () => consumer.disconnect() };
}
