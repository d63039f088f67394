import { request, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMotoServer, type TestMotoServer } from './support/moto-server';

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
  reusedSocket: boolean;
}

/** One HTTP request through `agent`; resolves with what came back and whether the socket was reused. */
function send(agent: Agent, endpoint: string, method: string, path: string, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}${path}`,
      { method, agent, headers: body ? { ...SQS_QUERY_HEADERS, 'content-length': Buffer.byteLength(body) } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection, reusedSocket: req.reusedSocket }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// moto picks the service from the signature's credential scope; it does not check the signature.
const SQS_QUERY_HEADERS = {
  'content-type': 'application/x-www-form-urlencoded',
  authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
};
const form = (fields: Record<string, string>) => new URLSearchParams({ Version: '2012-11-05', ...fields }).toString();

// The SNS/SQS launcher (scripts/infra/moto/serve.py) keeps connections open: every request used to
// cost a TCP connection (Werkzeug's `Connection: close`). What could go wrong on a kept connection
// is one request's body bleeding into the next, or the next request being read away as leftovers.
describe('moto launcher keep-alive', () => {
  let moto: TestMotoServer;
  let closing: TestMotoServer;

  beforeAll(async () => {
    moto = await testMotoServer();
    closing = await testMotoServer({ env: { MOTO_KEEP_ALIVE: '0' } });
    await Promise.all([moto.start(), closing.start()]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([moto?.destroy(), closing?.destroy()]);
  });

  it('answers a run of SQS requests with bodies, and a body nobody reads, on one connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const queue = `keepalive-${Date.now()}`;
      const created = await send(agent, moto.endpoint, 'POST', '/', form({ Action: 'CreateQueue', QueueName: queue }));
      expect(created.status).toBe(200);
      const queueUrl = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(created.body)?.[1];
      expect(queueUrl).toBeDefined();
      // moto's dashboard ignores a request body: the launcher must still consume it before the next request.
      const ignored = await send(agent, moto.endpoint, 'POST', '/moto-api/', 'x'.repeat(5_000));
      expect(ignored.status).toBeLessThan(500);
      expect(ignored.reusedSocket).toBe(true);
      for (let i = 0; i < 5; i++) {
        const sent = await send(
          agent,
          moto.endpoint,
          'POST',
          '/',
          form({ Action: 'SendMessage', QueueUrl: queueUrl!, MessageBody: `m${i}-${'y'.repeat(i * 300)}` }),
        );
        expect(sent.status).toBe(200);
        expect(sent.reusedSocket).toBe(true);
        expect(sent.connection).not.toBe('close');
      }
      const received = await send(agent, moto.endpoint, 'POST', '/', form({ Action: 'ReceiveMessage', QueueUrl: queueUrl!, MaxNumberOfMessages: '10' }));
      expect(received.status).toBe(200);
      expect(received.reusedSocket).toBe(true);
      expect([...received.body.matchAll(/<Body>m(\d)-y*<\/Body>/g)].map((m) => m[1]).sort()).toEqual(['0', '1', '2', '3', '4']);
    } finally {
      agent.destroy();
    }
  });

  it('closes after every response with MOTO_KEEP_ALIVE=0', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, closing.endpoint, 'GET', '/moto-api/');
      const second = await send(agent, closing.endpoint, 'GET', '/moto-api/');
      expect([first.connection, second.connection]).toEqual(['close', 'close']);
      expect(second.reusedSocket).toBe(false);
    } finally {
      agent.destroy();
    }
  });
});
