import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from '../platform/logger';

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
  batchSize?: number;
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
  const { sqs, queueName, handle, waitSeconds = 5, visibilityTimeoutSeconds = 30, retryDelaySeconds = 2, batchSize = 10 } = opts;
  const log = opts.log.child({ consumer: opts.name, queue: queueName });
  const abort = new AbortController();
  let queueUrl: string | undefined;

  async function processOne(message: Message): Promise<void> {
    const receives = message.Attributes?.ApproximateReceiveCount;
    try {
      await handle(message.Body ?? '', message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    } catch (err) {
      log.warn({ err, messageId: message.MessageId, receives }, 'message failed; it will be retried (then dead-lettered by the queue)');
      await sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: retryDelaySeconds }))
        .catch((e: unknown) => log.warn({ err: e }, 'could not shorten visibility; the message returns after the timeout'));
    }
  }

  async function loop(): Promise<void> {
    let backoffMs = 500;
    while (!abort.signal.aborted) {
      try {
        queueUrl ??= (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }), { abortSignal: abort.signal })).QueueUrl;
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitSeconds,
            VisibilityTimeout: visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: abort.signal },
        );
        backoffMs = 500;
        await Promise.all(Messages.map(processOne));
      } catch (err) {
        if (abort.signal.aborted) break;
        log.warn({ err, retryInMs: backoffMs }, 'receive failed');
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }

  const running = loop();
  log.info('sqs consumer started');
  return {
    async stop() {
      abort.abort();
      await running;
      log.info('sqs consumer stopped');
    },
  };
}
