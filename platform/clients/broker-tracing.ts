// Producer spans and trace propagation for the brokers, added at the client so no call site has to
// remember it: every SNS publish and SQS send carries the active trace in its message attributes
// (raw delivery passes them from SNS on to SQS), every Kafka record in its headers. Receives,
// deletes and the rest make no span (a long poll every few seconds would bury the journeys).
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Message, Producer, ProducerBatch, ProducerRecord } from 'kafkajs';
import { inSpan, messageTraceAttributes, SpanKind, traceHeaders } from '../trace-context';

type Attrs = Record<string, unknown> | undefined;
type Input = {
  TopicArn?: string;
  QueueUrl?: string;
  MessageAttributes?: Attrs;
  PublishBatchRequestEntries?: { MessageAttributes?: Attrs }[];
  Entries?: { MessageAttributes?: Attrs }[];
};

const SENDS: Record<string, 'single' | 'batch'> = {
  PublishCommand: 'single',
  SendMessageCommand: 'single',
  PublishBatchCommand: 'batch',
  SendMessageBatchCommand: 'batch',
};

/** The last part of an ARN or queue URL: the topic or queue name. */
const destinationOf = (input: Input): string => (input.TopicArn ?? input.QueueUrl ?? '?').split(/[:/]/).pop() ?? '?';

/** Adds the trace to what the message already carries (a caller's own attributes win). */
const withTrace = (attrs: Attrs): Attrs => {
  const trace = messageTraceAttributes();
  return trace ? { ...trace, ...attrs } : attrs;
};

/** Makes every publish/send of an SNS or SQS client a PRODUCER span whose context rides in the message attributes. */
export function traceAwsClient<C extends SNSClient | SQSClient>(client: C, system: 'aws_sns' | 'aws_sqs'): C {
  (client as SNSClient).middlewareStack.add(
    (next, hctx) => async (args) => {
      const kind = SENDS[hctx.commandName ?? ''];
      if (!kind) return next(args);
      const input = args.input as Input;
      const destination = destinationOf(input);
      return inSpan(
        `${destination} publish`,
        {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.system': system, 'messaging.destination.name': destination, 'messaging.operation.type': 'publish' },
        },
        () => {
          if (kind === 'single') input.MessageAttributes = withTrace(input.MessageAttributes);
          else for (const e of input.PublishBatchRequestEntries ?? input.Entries ?? []) e.MessageAttributes = withTrace(e.MessageAttributes);
          return next(args);
        },
      );
    },
    { step: 'initialize', name: 'tidingsTracing' },
  );
  return client;
}

const withHeaders = (messages: Message[]): Message[] => {
  const headers = traceHeaders();
  return Object.keys(headers).length === 0 ? messages : messages.map((m) => ({ ...m, headers: { ...headers, ...m.headers } }));
};

/** A producer whose every send is a PRODUCER span whose context rides in each record's headers. */
export function traceProducer(p: Producer): Producer {
  const span = <T>(topics: string, fn: () => Promise<T>) =>
    inSpan(`${topics} publish`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topics } }, fn);
  return {
    ...p,
    send: (record: ProducerRecord) => span(record.topic, () => p.send({ ...record, messages: withHeaders(record.messages) })),
    sendBatch: (batch: ProducerBatch) =>
      span([...new Set((batch.topicMessages ?? []).map((t) => t.topic))].join(','), () =>
        p.sendBatch({ ...batch, topicMessages: batch.topicMessages?.map((t) => ({ ...t, messages: withHeaders(t.messages) })) }),
      ),
  };
}
