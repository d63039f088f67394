import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/**
 * kafkajs' default partitioner (murmur2 of the key, as the Java client does), remembered per topic,
 * key and partition count. Same answers, so records keep going where every other producer of the
 * topic sends them; only the work is saved. Why: murmur2 there runs on `Long` objects, several
 * allocations per four bytes of key, and the outbox relays send a run of records under the same
 * few keys (a merchant's entries): it was the relay's largest kafkajs cost per record
 * (docs/ledger-hot-path.md). Keyless records and explicit partitions go to the default as before.
 */
export const rememberingPartitioner =
  (maxKeys = 10_000): ICustomPartitioner =>
  () => {
    const partition = Partitioners.DefaultPartitioner();
    const known = new Map<string, number>();
    return (args) => {
      const { topic, partitionMetadata, message } = args;
      if (typeof message.key !== 'string' || (message.partition !== null && message.partition !== undefined)) return partition(args);
      const id = `${topic}\u0000${partitionMetadata.length}\u0000${message.key}`;
      let p = known.get(id);
      if (p === undefined) {
        p = partition(args);
        // Bounded: a topic keyed by something unique per record (a message id) only churns it.
        if (known.size >= maxKeys) known.clear();
        known.set(id, p);
      }
      return p;
    };
  };
