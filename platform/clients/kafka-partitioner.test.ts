import { randomUUID } from 'node:crypto';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { rememberingPartitioner } from './kafka-partitioner';

const metadata = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
const args = (topic: string, n: number, message: PartitionerArgs['message']): PartitionerArgs => ({ topic, partitionMetadata: metadata(n), message });

describe('the remembering Kafka partitioner', () => {
  it('sends every keyed record where the default partitioner does, on each topic and partition count, first time and again', () => {
    const ours = rememberingPartitioner(50)();
    const theirs = Partitioners.DefaultPartitioner();
    const keys = [...Array.from({ length: 120 }, () => randomUUID()), 'merchant-1', 'é-ü', ''];
    for (const round of [1, 2])
      for (const n of [1, 3, 12])
        for (const key of keys) {
          const a = args(`t${n}`, n, { key, value: 'v' });
          expect(ours(a), `${key} on ${n} partitions, round ${round}`).toBe(theirs(a));
        }
  });

  it('hashes a key once while it is remembered, and keeps explicit partitions and keyless records as the default does', () => {
    const spied = vi.spyOn(Partitioners, 'DefaultPartitioner');
    const calls = vi.fn((a: PartitionerArgs) => (a.message.partition ?? 7) as number);
    spied.mockReturnValue(calls);
    try {
      const ours = rememberingPartitioner()();
      for (let i = 0; i < 5; i++) expect(ours(args('t', 12, { key: 'merchant-1', value: 'v' }))).toBe(7);
      expect(calls).toHaveBeenCalledTimes(1);
      expect(ours(args('t', 12, { key: 'merchant-1', value: 'v', partition: 3 }))).toBe(3);
      ours(args('t', 12, { value: 'v' }));
      ours(args('t', 12, { value: 'v' }));
      expect(calls).toHaveBeenCalledTimes(4); // each keyless record asks the default (round robin)
    } finally {
      spied.mockRestore();
    }
  });
});
