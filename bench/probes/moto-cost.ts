// Probe: moto's CPU per SNS/SQS request, `moto_server` as shipped, the launcher Tidings runs
// (scripts/infra/moto/serve.py) with Werkzeug's close after every response (MOTO_KEEP_ALIVE=0), and
// the launcher as it runs, each on a port of its own, interleaved. C loops at once, each publishing
// to its topic, receiving from the subscribed queue and deleting, as a purchase's hops do. The
// client's CPU per request is printed beside (a closed connection costs it a connect each time).
// Usage: node --import tsx bench/probes/moto-cost.ts [rounds] [loops] [messages per loop]
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import { testMotoServer } from '../../test/support/moto-server';

const rounds = Number(process.argv[2] ?? 2);
const loops = Number(process.argv[3] ?? 8);
const messages = Number(process.argv[4] ?? 100);
const ROOT = new URL('../..', import.meta.url).pathname;

/** CPU ms (user + system) a process used so far, from /proc. */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

async function measure(endpoint: string, pid: number) {
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'probe', secretAccessKey: 'probe' } };
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const pairs = await Promise.all(
    Array.from({ length: loops }, async (_, k) => {
      const name = `moto-cost-${Date.now()}-${k}`;
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const Endpoint = Attributes!.QueueArn;
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint, Attributes: { RawMessageDelivery: 'true' } }));
      return { TopicArn: TopicArn!, QueueUrl: QueueUrl! };
    }),
  );
  let requests = 0;
  const cpu0 = cpuMs(pid);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    pairs.map(async ({ TopicArn, QueueUrl }) => {
      for (let i = 0; i < messages; i++) {
        await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ i, pad: 'x'.repeat(300) }) }));
        requests++;
        for (let got = 0; got === 0;) {
          const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
          requests++;
          for (const m of Messages) {
            await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
            requests++;
            got++;
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(client0);
  sns.destroy();
  sqs.destroy();
  return {
    cpuPerRequest: (cpuMs(pid) - cpu0) / requests,
    clientCpuPerRequest: (client.user + client.system) / 1000 / requests,
    perSecond: requests / seconds,
    requests,
  };
}

const shipped = await testMotoServer({ command: [`${ROOT}.infra/venv/bin/moto_server`] });
const closing = await testMotoServer({ env: { MOTO_KEEP_ALIVE: '0' } });
const launcher = await testMotoServer();
const servers = [
  ['moto_server', shipped],
  ['serve.py, MOTO_KEEP_ALIVE=0', closing],
  ['serve.py', launcher],
] as const;
await Promise.all(servers.map(([, s]) => s.start()));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const [name, server] of servers) {
      const r = await measure(server.endpoint, server.pid()!);
      console.log(
        `round ${round} ${name}: ${r.cpuPerRequest.toFixed(2)} ms of moto CPU and ${r.clientCpuPerRequest.toFixed(2)} ms of the client's per request, ${r.perSecond.toFixed(0)} requests/s (${r.requests} requests, ${loops} loops)`,
      );
    }
  }
} finally {
  await Promise.all(servers.map(([, s]) => s.destroy()));
}
