import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { unavailableDependency, type Dependency } from '../platform/dependency-errors';
import { PoisonMessageError } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { contextFromMessageAttributes, inSpan, SpanKind, TRACE_ATTRIBUTE_NAMES } from '../platform/trace-context';

export interface SqsConsumerOptions {
  name: string;
  sqs: SQSClient;
  log: Logger;
  queueName: string;
  /** Processes one message; throwing leaves it on the queue for another receive. */
  handle: (body: string, message: Message) => Promise<void>;
  /** Long-poll wait per receive (max 20). */
  waitSeconds?: number;
  /** How long a received message stays invisible while it is processed. */
  visibilityTimeoutSeconds?: number;
  /** After a failure, the message becomes visible again this soon (not after the full timeout). */
  retryDelaySeconds?: number;
  /** Messages per receive (at most 10, SQS's limit for receives and batch deletes). */
  batchSize?: number;
  /** Long polls kept open at once (each processes its batch before polling again). */
  pollers?: number;
  /**
   * Asks a dependency whether it answers again (the readiness checks). A message that failed
   * because MySQL, Redis or Temporal is down pauses every poller until the check passes; without
   * a check for it, the pause is a backoff in time.
   */
  checks?: Partial<Record<Dependency, () => Promise<unknown>>>;
}

export interface RunningConsumer {
  /** Stops receiving, lets in-flight messages finish, resolves when the loop has ended. */
  stop(): Promise<void>;
}

/**
 * Long-polls one SQS queue. A message is deleted only after its handler succeeded; a failing one
 * comes back after `retryDelaySeconds`, and after the queue's maxReceiveCount SQS moves it to the
 * dead-letter queue (redrive policy from provisioning). Handlers must be idempotent: SQS delivers
 * at least once.
 */
export function startSqsConsumer(opts: SqsConsumerOptions): RunningConsumer {
  const { sqs, queueName, handle, waitSeconds = 5, visibilityTimeoutSeconds = 30, retryDelaySeconds = 2, pollers = 1 } = opts;
  // One receive's messages are deleted in one batch request, which takes at most 10.
  const batchSize = Math.min(opts.batchSize ?? 10, 10);
  const log = opts.log.child({ consumer: opts.name, queue: queueName });
  // Stopping does not abort the long poll in flight: an aborted receive may still have claimed
  // messages on the server, hiding them for the visibility timeout. The last poll finishes (at most
  // waitSeconds) and what it received is processed.
  let stopping = false;
  let queueUrl: string | undefined;
  // While a dependency is down, receiving would only burn the messages' receives: SQS counts every
  // receive, and after maxReceiveCount (5) the queue dead-letters a message that was never at
  // fault (seen in the soak: MySQL down 10 s, five receives 2 s apart, five messages in the DLQ).
  // So a failure that names a dependency closes this gate for every poller until the dependency
  // answers: an outage costs a message one receive, however long it lasts.
  let outage: Promise<void> | undefined;

  function pauseFor(dependency: Dependency): void {
    outage ??= (async () => {
      log.warn({ dependency }, `${dependency} unavailable: receives paused until it answers`);
      const check = opts.checks?.[dependency];
      for (let waitMs = 500; !stopping; waitMs = Math.min(waitMs * 2, 5_000)) {
        await new Promise((r) => setTimeout(r, waitMs));
        if (!check) {
          if (waitMs >= 4_000) break;
          continue;
        }
        try {
          await check();
          break;
        } catch {
          // still down
        }
      }
      log.info({ dependency }, `${dependency} answers: receiving again`);
    })().finally(() => (outage = undefined));
  }

  /** Handles one message; true when it may be deleted. */
  async function processOne(message: Message): Promise<boolean> {
    const receives = message.Attributes?.ApproximateReceiveCount;
    try {
      // A CONSUMER span continuing the producer's trace (its message attributes), so what the
      // handler does (MySQL, pushes, reports to other queues) joins the journey's trace.
      await inSpan(
        `${opts.name} process`,
        {
          kind: SpanKind.CONSUMER,
          role: 'consumers',
          parent: contextFromMessageAttributes(message.MessageAttributes),
          attributes: { 'messaging.system': 'aws_sqs', 'messaging.destination.name': queueName, 'messaging.message.id': message.MessageId ?? '' },
        },
        () => handle(message.Body ?? '', message),
      );
      return true;
    } catch (err) {
      // A poison message's reason is the whole story; anything else keeps its stack.
      const detail = err instanceof PoisonMessageError ? { reason: err.message } : { err };
      log.warn({ ...detail, messageId: message.MessageId, receives }, 'message failed; it will be retried (then dead-lettered by the queue)');
      const dependency = unavailableDependency(err);
      if (dependency) pauseFor(dependency);
      await sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: retryDelaySeconds }))
        .catch((e: unknown) => log.warn({ err: e }, 'could not shorten visibility; the message returns after the timeout'));
      return false;
    }
  }

  /**
   * Deletes the handled messages of one receive in one request (a receive holds at most 10, the
   * batch limit): at volume one delete per message was a third of the broker calls. A delete that
   * fails leaves its message to come back; handlers are idempotent, so it is handled again.
   */
  async function deleteHandled(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    const { Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
    );
    for (const f of Failed)
      log.warn({ messageId: messages[Number(f.Id)]?.MessageId, code: f.Code, reason: f.Message }, 'delete failed; the message will be handled again');
  }

  async function loop(): Promise<void> {
    let backoffMs = 500;
    while (!stopping) {
      if (outage) {
        await outage;
        continue;
      }
      try {
        queueUrl ??= (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitSeconds,
            VisibilityTimeout: visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            MessageAttributeNames: TRACE_ATTRIBUTE_NAMES,
          }),
          // A receive that outlives its long poll by far is stuck (seen with moto after a redrive):
          // give up on it and poll again rather than stall the consumer.
          { abortSignal: AbortSignal.timeout((waitSeconds + 10) * 1000) },
        );
        backoffMs = 500;
        const handled = await Promise.all(Messages.map(processOne));
        await deleteHandled(Messages.filter((_, i) => handled[i]));
      } catch (err) {
        if (stopping) break;
        log.warn({ err, retryInMs: backoffMs }, 'receive failed');
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }

  const running = Promise.all(Array.from({ length: pollers }, () => loop()));
  log.info('sqs consumer started');
  return {
    async stop() {
      stopping = true;
      await running;
      log.info('sqs consumer stopped');
    },
  };
}
