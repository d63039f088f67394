import { describe, expect, it, vi } from 'vitest';
import type { Context } from '../runtime/context';
import { config, log } from '../test/support/routes';
import { startFulfillment } from './purchases';

// Fulfillment with a stub SQS client: the results queue unreachable (moto down) while a request is
// handled. Its PROCESSING report fails during the simulated processing time, before the handler
// awaits it; that rejection must fail the message (retried), not end the process as unhandled (it
// did, in the soak: docs/reliability.md). Vitest fails the run on an unhandled rejection.
/** A stub SQS client serving `request` once, then empty receives; `on` answers the other commands (undefined: `{}`). */
function sqsServing(request: object, on: (name: string, input: Record<string, unknown>) => unknown) {
  let received = false;
  return vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    if (command.constructor.name === 'ReceiveMessageCommand') {
      if (received) return new Promise((r) => setTimeout(() => r({ Messages: [] }), 50));
      received = true;
      return { Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: JSON.stringify(request), Attributes: { ApproximateReceiveCount: '1' } }] };
    }
    return on(command.constructor.name, command.input) ?? {};
  });
}
const requestFor = (purchaseId: string) => ({ type: 'PurchaseRequested', purchaseId, userId: 'u1', productId: 'gift-card-100', quantity: 1, totalCents: 100 });

describe('fulfillment with the SQS server gone mid-message', () => {
  it('a report failing before it is awaited fails the message, and nothing is left unhandled', async () => {
    const visibilityChanged = vi.fn();
    const send = sqsServing(requestFor('0b6f9a52-4a8e-4c59-9a57-5d1a0f6a1e03'), (name, input) => {
      if (name === 'GetQueueUrlCommand') {
        if (String(input.QueueName).endsWith('purchase-results'))
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
        return { QueueUrl: 'http://sqs.test/processing' };
      }
      if (name === 'ChangeMessageVisibilityCommand') visibilityChanged();
      return undefined;
    });
    // Never reached before the report fails: the contract waits for the second half of the delay.
    const getConnection = vi.fn(async () => {
      throw new Error('no database in this test');
    });
    // No contract yet (a first copy): the handler goes on to the processing time.
    const query = vi.fn(async () => [[]]);
    const ctx = { config, log, sqs: () => ({ send }), mysql: () => ({ getConnection, query }) } as unknown as Context;
    const fulfillment = await startFulfillment(ctx, { delayMs: 400, waitSeconds: 0, retryDelaySeconds: 1 });
    try {
      await vi.waitFor(() => expect(visibilityChanged).toHaveBeenCalled(), { timeout: 5_000, interval: 20 });
    } finally {
      await fulfillment.stop();
    }
    // The rejection surfaced through the handler (the message failed and will come back).
    expect(send.mock.calls.some(([c]) => c.constructor.name === 'DeleteMessageBatchCommand')).toBe(false);
  });

  it('a copy of a request already decided is answered at once, without the processing time', async () => {
    const request = requestFor('0b6f9a52-4a8e-4c59-9a57-5d1a0f6a1e04');
    const reported: string[] = [];
    const send = sqsServing(request, (name, input) => {
      if (name === 'GetQueueUrlCommand') return { QueueUrl: `http://sqs.test/${String(input.QueueName)}` };
      if (name !== 'SendMessageBatchCommand') return undefined;
      const entries = input.Entries as { Id: string; MessageBody: string }[];
      for (const e of entries) reported.push(e.MessageBody);
      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `x${e.Id}` })), Failed: [] };
    });
    const query = vi.fn(async () => [[{ status: 'ACTIVE', quantity: 1 }]]);
    const getConnection = vi.fn(async () => {
      throw new Error('a decided copy opens no transaction');
    });
    const ctx = { config, log, sqs: () => ({ send }), mysql: () => ({ getConnection, query }) } as unknown as Context;
    // A minute of processing time: only the short cut answers within the wait below.
    const fulfillment = await startFulfillment(ctx, { delayMs: 60_000, waitSeconds: 0 });
    try {
      await vi.waitFor(() => expect(reported).toHaveLength(1), { timeout: 3_000, interval: 20 });
    } finally {
      await fulfillment.stop();
    }
    expect(JSON.parse(reported[0]!)).toEqual({ purchaseId: request.purchaseId, kind: 'COMPLETED' });
    expect(getConnection).not.toHaveBeenCalled();
  });
});
