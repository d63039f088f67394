import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { createRecoveringProducer } from './kafka-producer';

// A stand-in kafkajs producer whose sends fail while `failing` is set, as an idempotent producer
// does for ever once its sequence numbers are out of step with the broker's.
function fakeProducers() {
  const made: { id: number; sent: number; disconnected: boolean }[] = [];
  let failing: false | 'fatal' | 'timeout' = false;
  const make = async (): Promise<Producer> => {
    const me = { id: made.length + 1, sent: 0, disconnected: false };
    made.push(me);
    const send = async () => {
      if (failing === 'fatal') {
        // As kafkajs reports it: a protocol error, wrapped once its retries are exhausted.
        const protocol = Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
        throw Object.assign(new Error(protocol.message, { cause: protocol }), { name: 'KafkaJSNumberOfRetriesExceeded' });
      }
      if (failing === 'timeout') throw Object.assign(new Error('Timeout while acquiring lock'), { name: 'KafkaJSLockTimeout' });
      me.sent++;
      return [];
    };
    return { send, sendBatch: send, disconnect: async () => void (me.disconnected = true) } as unknown as Producer;
  };
  return { made, make, fail: (how: false | 'fatal' | 'timeout') => (failing = how) };
}

describe('the recovering Kafka producer', () => {
  const log = createLogger('silent');

  it('replaces a producer whose send failed out of sequence, once, and disconnects the old one; keeps it after a timeout', async () => {
    const f = fakeProducers();
    const producers = createRecoveringProducer(f.make, log);
    await (await producers.get()).send({ topic: 't', messages: [] });
    const held = await producers.get();
    // A timeout is not fatal: the producer stays (replacing it would fail every send queued on it).
    f.fail('timeout');
    await expect(held.send({ topic: 't', messages: [] })).rejects.toThrow(/lock/);
    expect(producers.replaced()).toBe(0);
    f.fail('fatal');
    // Two sends fail on the same producer at once: one replacement, not two.
    await Promise.all([
      expect(held.send({ topic: 't', messages: [] })).rejects.toThrow(/out of order/),
      expect(held.sendBatch({ topicMessages: [] })).rejects.toThrow(/out of order/),
    ]);
    expect(producers.replaced()).toBe(1);
    f.fail(false);
    await (await producers.get()).send({ topic: 't', messages: [] });
    expect(f.made.map((p) => [p.id, p.sent, p.disconnected])).toEqual([
      [1, 1, true],
      [2, 1, false],
    ]);
    await producers.close();
    expect(f.made[1]!.disconnected).toBe(true);
    await expect(producers.get()).rejects.toThrow(/closed/);
  });

  it('tries to connect again after a failed connect', async () => {
    let attempts = 0;
    const producers = createRecoveringProducer(async () => {
      if (++attempts === 1) throw new Error('connect ECONNREFUSED');
      return { send: async () => [], disconnect: async () => undefined } as unknown as Producer;
    }, log);
    await expect(producers.get()).rejects.toThrow(/ECONNREFUSED/);
    await expect((await producers.get()).send({ topic: 't', messages: [] })).resolves.toEqual([]);
    expect(attempts).toBe(2);
  });
});
