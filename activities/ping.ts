import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Kafka, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { topicArn } from '../platform/clients/aws';
import type { Config } from '../platform/config';
import { withTimeout } from '../platform/errors';
import { namesOf } from '../platform/names';

/** The outcome of probing one server. */
export interface ProbeResult {
  server: 'kafka' | 'sns-sqs' | 'redis' | 'mysql';
  ok: boolean;
  ms: number;
  detail: string;
}

export interface PingDeps {
  config: Config;
  kafka: Kafka;
  producer: () => Promise<Producer>;
  sns: SNSClient;
  sqs: SQSClient;
  redis: Redis;
  mysql: Pool;
}

const PROBE_TIMEOUT_MS = 20_000;

async function timed(server: ProbeResult['server'], work: () => Promise<string>): Promise<ProbeResult> {
  const started = performance.now();
  const detail = await withTimeout(`${server} probe`, PROBE_TIMEOUT_MS, work());
  return { server, ok: true, ms: Math.round(performance.now() - started), detail };
}

/** Activities of the ping workflow: each proves a round trip through one server. */
export function createPingActivities(deps: PingDeps) {
  const names = namesOf(deps.config);
  return {
    /** Produces a record to Kafka and consumes that very record back. */
    async probeKafka(nonce: string): Promise<ProbeResult> {
      return timed('kafka', async () => {
        const producer = await deps.producer();
        const [sent] = await producer.send({ topic: names.topics.ping, messages: [{ key: nonce, value: nonce }] });
        if (!sent) throw new Error('kafka returned no record metadata');
        // A throwaway group seeks straight to the produced offset, so concurrent pings never
        // steal each other's records and no history is read.
        const groupId = names.group('ping', `${nonce}-${Date.now()}`);
        const consumer = deps.kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
        try {
          await consumer.connect();
          await consumer.subscribe({ topic: names.topics.ping, fromBeginning: false });
          const received = new Promise<string>((resolve) => {
            void consumer.run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                if (message.key?.toString() === nonce) resolve(`partition ${partition} offset ${message.offset}`);
              },
            });
          });
          consumer.seek({ topic: names.topics.ping, partition: sent.partition, offset: sent.baseOffset ?? '0' });
          return await received;
        } finally {
          await consumer.disconnect();
          const admin = deps.kafka.admin();
          await admin.connect();
          await admin.deleteGroups([groupId]).catch(() => undefined); // best effort: an empty group expires anyway
          await admin.disconnect();
        }
      });
    },

    /** Publishes to the SNS ping topic and receives the copy SNS delivered to its SQS queue. */
    async probeSnsSqs(nonce: string): Promise<ProbeResult> {
      return timed('sns-sqs', async () => {
        const { QueueUrl } = await deps.sqs.send(new GetQueueUrlCommand({ QueueName: names.queues.ping.name }));
        await deps.sns.send(new PublishCommand({ TopicArn: topicArn(deps.config, names.snsTopics.ping.name), Message: nonce }));
        for (;;) {
          const { Messages = [] } = await deps.sqs.send(
            new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 5 }),
          );
          for (const m of Messages) {
            if (m.Body === nonce) {
              await deps.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
              return `received from ${names.queues.ping.name}`;
            }
            // Another ping's message: hand it back at once instead of hiding it for 5 s.
            await deps.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
          }
        }
      });
    },

    /** Writes a key to Redis and reads it back. */
    async probeRedis(nonce: string): Promise<ProbeResult> {
      return timed('redis', async () => {
        const key = `tidings:ping:${nonce}`;
        await deps.redis.set(key, nonce, 'EX', 300);
        const value = await deps.redis.get(key);
        if (value !== nonce) throw new Error(`redis returned ${value} for ${key}`);
        return `set and got ${key}`;
      });
    },

    /** Records the ping in MySQL (once per ping id) and reads it back. */
    async probeMysql(nonce: string): Promise<ProbeResult> {
      return timed('mysql', async () => {
        await deps.mysql.query('INSERT IGNORE INTO ping_runs (ping_id, nonce) VALUES (?, ?)', [nonce, nonce]);
        const [rows] = await deps.mysql.query<RowDataPacket[]>('SELECT nonce FROM ping_runs WHERE ping_id = ?', [nonce]);
        if (rows[0]?.nonce !== nonce) throw new Error(`ping_runs has no row for ${nonce}`);
        return 'row in ping_runs';
      });
    },
  };
}

export type PingActivities = ReturnType<typeof createPingActivities>;
