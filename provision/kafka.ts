import type { Kafka } from 'kafkajs';

/** Creates the Kafka topics that do not exist yet and waits for their leaders. Returns those created. */
export async function ensureKafkaTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      // Two processes provisioning at once is fine: createTopics answers false for topics that
      // appeared meanwhile instead of failing.
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
