import { ConfigError } from '@userstream/core';
import { KafkaError, ProduceError, type KafkaAdmin, type KafkaClient } from '../src';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { waitFor } from '@userstream/core';
import { BROKERS, memoryLogger, readAll, testClient, unique } from './helpers';

/** Every record's key and partition, read with a plain kafkajs consumer. */
async function readWithPartitions(topic: string, count: number): Promise<Array<{ key: string; partition: number }>> {
  const consumer = new Kafka({ brokers: BROKERS, clientId: 'kafka-lib-test-partitions', logLevel: logLevel.NOTHING }).consumer({
    groupId: unique('partitions'),
    maxWaitTimeInMs: 100,
  });
  const seen: Array<{ key: string; partition: number }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message, partition }) => void seen.push({ key: String(message.key), partition }) });
    await waitFor(() => seen.length >= count, { timeoutMs: 30_000, description: `${count} records on ${topic}` });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

jest.setTimeout(60_000);

describe('KafkaAdmin against the real broker', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;
  const logger = memoryLogger();
  const topics: string[] = [];

  beforeAll(() => {
    client = testClient({ logger });
    admin = client.admin();
  });
  afterAll(async () => {
    for (const topic of topics) await admin.deleteTopic(topic);
    await admin.close();
  });

  it('ensureTopic creates once, and a second call is fine', async () => {
    const topic = unique('admin-ensure');
    topics.push(topic);
    const first = await admin.ensureTopic(topic, { partitions: 2, configs: { 'retention.ms': '3600000' } });
    expect(first).toEqual({ topic, created: true, partitions: 2, partitionsIncreased: false });
    const second = await admin.ensureTopic(topic, { partitions: 2 });
    expect(second).toEqual({ topic, created: false, partitions: 2, partitionsIncreased: false });
    expect(await admin.topicExists(topic)).toBe(true);
  });

  it('reports fewer partitions than asked, and adds them only when told', async () => {
    const topic = unique('admin-grow');
    topics.push(topic);
    await admin.ensureTopic(topic, { partitions: 1 });
    const warned = await admin.ensureTopic(topic, { partitions: 3 });
    expect(warned.partitions).toBe(1);
    expect(warned.warning).toMatch(/exists with 1 partitions, fewer than the 3/);
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg === 'topic has fewer partitions than requested')).toBe(true);
    const grown = await admin.ensureTopic(topic, { partitions: 3, increasePartitions: true });
    expect(grown).toMatchObject({ created: false, partitions: 3, partitionsIncreased: true });
    expect(await admin.partitionCount(topic)).toBe(3);
  });

  it('rejects illegal topic names before calling the broker', async () => {
    await expect(admin.ensureTopic('bad topic/name')).rejects.toBeInstanceOf(ConfigError);
  });

  it('deleteTopic removes a topic and says false for a missing one', async () => {
    const topic = unique('admin-delete');
    await admin.ensureTopic(topic);
    expect(await admin.deleteTopic(topic)).toBe(true);
    expect(await admin.deleteTopic(topic)).toBe(false);
  });
});

describe('KafkaProducer against the real broker', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;
  const topics: string[] = [];

  beforeAll(() => {
    client = testClient();
    admin = client.admin();
  });
  afterAll(async () => {
    for (const topic of topics) await admin.deleteTopic(topic);
    await admin.close();
  });

  async function newTopic(prefix: string, partitions = 2): Promise<string> {
    const topic = unique(prefix);
    topics.push(topic);
    await admin.ensureTopic(topic, { partitions });
    return topic;
  }

  it.each([
    ['idempotent', true, 'none'],
    ['plain', false, 'gzip'],
    ['idempotent snappy', true, 'snappy'],
  ] as const)('%s: sends in batches, reports exact counts, keeps key and headers', async (_name, idempotent, compression) => {
    const topic = await newTopic('produce');
    const producer = client.producer({ idempotent, compression, batchSize: 7, maxInFlightSends: 3 });
    const produced: number[] = [];
    const off = client.events.on('kafka.batch_produced', (e) => {
      if (e.topic === topic) produced.push(e.records);
    });
    try {
      const messages = Array.from({ length: 50 }, (_, i) => ({ key: `key-${i}`, value: Buffer.from(`value-${i}`), headers: { 'userstream-run-id': 'run-1' } }));
      const report = await producer.sendMessages(topic, messages);
      expect(report).toMatchObject({ acknowledged: 50, failed: 0, requests: 8, failures: [] });
      expect(produced.reduce((a, b) => a + b, 0)).toBe(50);
      expect(Math.max(...produced)).toBe(7);
      expect(producer.acknowledged).toBe(50);
      expect(producer.failed).toBe(0);
      const ends = await admin.topicEndOffsets(topic);
      expect(ends.reduce((sum, p) => sum + p.high - p.low, 0)).toBe(50);
      const read = await readAll(topic, 50);
      const byKey = new Map(read.map((m) => [m.key?.toString(), m]));
      expect(byKey.size).toBe(50);
      expect(byKey.get('key-17')?.value?.toString()).toBe('value-17');
      expect(byKey.get('key-17')?.headers?.['userstream-run-id']?.toString()).toBe('run-1');
    } finally {
      off();
      await producer.close();
    }
  });

  it('sends every request to one partition, the one the key hashes to (as kafkajs and the Java client pick it)', async () => {
    const topic = await newTopic('per-partition', 4);
    const producer = client.producer({ batchSize: 1000 });
    try {
      const messages = Array.from({ length: 200 }, (_, i) => ({ key: `user-${i}`, value: `v${i}` }));
      const report = await producer.sendMessages(topic, messages);
      // 200 records fit one request, but they span 4 partitions: one request each.
      expect(report).toMatchObject({ acknowledged: 200, requests: 4 });
      const partitioner = Partitioners.DefaultPartitioner();
      const metadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
      const seen = await readWithPartitions(topic, 200);
      for (const { key, partition } of seen) {
        expect(partition).toBe(partitioner({ topic, partitionMetadata: metadata, message: { key, value: null } }));
      }
      expect(new Set(seen.map((m) => m.partition)).size).toBe(4);
    } finally {
      await producer.close();
    }
  });

  it('sends queued behind a request in flight ride together in the next request, in order, each with its own report', async () => {
    const topic = await newTopic('coalesce', 1);
    const producer = client.producer({ batchSize: 100, maxInFlightSends: 1 });
    const requests: number[] = [];
    const off = client.events.on('kafka.batch_produced', (e) => {
      if (e.topic === topic) requests.push(e.records);
    });
    try {
      await producer.connect();
      // Fifty one-record sends at once: one request goes, the others wait for it and then go together.
      const reports = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.sendMessages(topic, [{ key: `k${i}`, value: `v${i}` }])));
      reports.forEach((report, i) => expect(report).toMatchObject({ acknowledged: 1, failed: 0, requests: 1, bytes: 2 * `k${i}`.length }));
      expect(requests.reduce((a, b) => a + b, 0)).toBe(50);
      expect(requests.length).toBeLessThan(10);
      expect(producer.acknowledged).toBe(50);
      const read = await readAll(topic, 50);
      expect(read.map((m) => m.key?.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `k${i}`));
    } finally {
      off();
      await producer.close();
    }
  });

  it('RecordProducer reports a record that fails to serialize and still sends the rest', async () => {
    const topic = await newTopic('record-producer', 1);
    const producer = client.recordProducer<{ id: string; bad?: boolean }>({
      topic,
      headers: { 'userstream-run-id': 'run-7' },
      serialize: (r) => {
        if (r.bad) throw new Error(`record ${r.id} is bad`);
        return { key: r.id, value: JSON.stringify(r) };
      },
    });
    try {
      const error = await producer.send([{ id: 'a' }, { id: 'b', bad: true }, { id: 'c' }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProduceError);
      const report = (error as ProduceError).report;
      expect(report.acknowledged).toBe(2);
      expect(report.failed).toBe(1);
      expect(report.failures.map((f) => [f.from, f.to])).toEqual([[1, 2]]);
      expect(producer.acknowledged).toBe(2);
      expect(producer.failed).toBe(1);
      const read = await readAll(topic, 2);
      expect(read.map((m) => m.key?.toString())).toEqual(['a', 'c']);
      expect(read[0].headers?.['userstream-run-id']?.toString()).toBe('run-7');
    } finally {
      await producer.close();
    }
  });

  it('a producer that cannot reach a broker for longer than its outage bound fails with a retriable KafkaError and counts the records as failed', async () => {
    const unreachable = testClient({ brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, retry: { retries: 0, initialRetryTimeMs: 50, maxRetryTimeMs: 100 } });
    const producer = unreachable.producer({ outageTimeoutMs: 1000 });
    try {
      const error = await producer.sendMessages('nowhere', [{ key: 'k', value: 'v' }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProduceError);
      expect((error as ProduceError).retriable).toBe(true);
      expect((error as ProduceError).report.failures[0].error.code).toBe('KAFKA_CONNECT_FAILED');
      expect(producer.failed).toBe(1);
    } finally {
      await producer.close();
    }
  });

  it('rejects sends after close', async () => {
    const producer = client.producer();
    await producer.close();
    await expect(producer.sendMessages('any', [{ value: 'x' }])).rejects.toMatchObject({ code: 'KAFKA_CLOSED' });
    await expect(producer.sendMessages('any', [{ value: 'x' }])).rejects.toBeInstanceOf(KafkaError);
  });
});
