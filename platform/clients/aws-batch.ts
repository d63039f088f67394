// Batched sends to SNS and SQS: callers send one message at a time, and what they send in the same
// turn of the event loop leaves in PublishBatch / SendMessageBatch requests of up to ten entries.
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createMicroBatcher } from '../micro-batch';
import { messageTraceAttributes } from '../trace-context';

/** AWS's limit on entries per PublishBatch and SendMessageBatch request. */
const MAX_ENTRIES = 10;

export class BatchEntryError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'BatchEntryError';
  }
}

/** Outcome per entry, in the order sent: entries are named by their index. */
function outcomes(count: number, failed: { Id?: string; Code?: string; Message?: string }[] | undefined, what: string): Array<Error | undefined> {
  const result: Array<Error | undefined> = new Array(count).fill(undefined);
  for (const f of failed ?? []) result[Number(f.Id)] = new BatchEntryError(f.Code, `${what} failed: ${f.Code ?? 'unknown'} ${f.Message ?? ''}`.trim());
  return result;
}

// An entry keeps the trace of its sender, taken when it is handed over: the batch request is sent
// later, from one sender's context, and would otherwise put every entry in that sender's trace.
interface Entry {
  body: string;
  trace: ReturnType<typeof messageTraceAttributes>;
}

const entriesOf = (entries: Entry[]) => entries.map((e, i) => ({ Id: String(i), ...(e.trace ? { MessageAttributes: e.trace } : {}), body: e.body }));

/** Sends message bodies to one SQS queue; resolves once that body's entry was accepted. */
export function createSqsBatchSender(sqs: SQSClient, queueUrl: () => Promise<string>): (body: string) => Promise<void> {
  const send = createMicroBatcher<Entry>({
    maxBatch: MAX_ENTRIES,
    sendBatch: async (entries) => {
      const { Failed } = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: await queueUrl(), Entries: entriesOf(entries).map(({ body, ...e }) => ({ ...e, MessageBody: body })) }),
      );
      return outcomes(entries.length, Failed, 'SQS send');
    },
  });
  return (body) => send({ body, trace: messageTraceAttributes() });
}

/** Publishes messages to SNS topics (one batcher per topic: a batch request names one topic). */
export function createSnsBatchPublisher(sns: SNSClient): (topicArn: string, message: string) => Promise<void> {
  const perTopic = new Map<string, (entry: Entry) => Promise<void>>();
  return (topicArn, message) => {
    let publish = perTopic.get(topicArn);
    if (!publish) {
      publish = createMicroBatcher<Entry>({
        maxBatch: MAX_ENTRIES,
        sendBatch: async (entries) => {
          const { Failed } = await sns.send(
            new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entriesOf(entries).map(({ body, ...e }) => ({ ...e, Message: body })) }),
          );
          return outcomes(entries.length, Failed, 'SNS publish');
        },
      });
      perTopic.set(topicArn, publish);
    }
    return publish({ body: message, trace: messageTraceAttributes() });
  };
}
