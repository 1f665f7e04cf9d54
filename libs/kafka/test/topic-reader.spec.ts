// TopicReader on the real Kafka: the last N records of a partition, from an
// offset, from a time, with keys, headers and timestamps; and it never joins
// (or disturbs) the group of the consumers it looks at.
import { Kafka, logLevel } from 'kafkajs';
import { ConfigError, waitFor } from '@userstream/core';
import { KafkaError, TopicReader } from '../src';
import { BROKERS, testClient, unique } from './helpers';

jest.setTimeout(60_000);

describe('TopicReader', () => {
  const topic = unique('topic-reader');
  const kafka = new Kafka({ brokers: BROKERS, clientId: 'topic-reader-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const client = testClient();
  const reader = new TopicReader(client, { groupIdPrefix: `reader-${topic}` });
  const base = Date.now() - 60_000;

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    // 20 records on partition 0, one second apart in timestamp; 3 on partition 1.
    await producer.send({
      topic,
      messages: [
        ...Array.from({ length: 20 }, (_, i) => ({
          partition: 0,
          key: `k${i}`,
          value: `v${i}`,
          timestamp: String(base + i * 1000),
          headers: { n: String(i), 'userstream-run-id': 'r1' },
        })),
        ...Array.from({ length: 3 }, (_, i) => ({ partition: 1, key: null, value: Buffer.from([0xc3, 0x01, i]), timestamp: String(base) })),
      ],
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('reads the last N records of a partition with key, headers and timestamp, oldest first', async () => {
    const result = await reader.read({ topic, partition: 0, last: 5 });
    expect(result).toMatchObject({ topic, partition: 0, low: 0, high: 20, start: 15, complete: true });
    expect(result.records.map((r) => r.offset)).toEqual([15, 16, 17, 18, 19]);
    expect(result.records[0]).toEqual({
      partition: 0,
      offset: 15,
      timestamp: base + 15_000,
      key: Buffer.from('k15'),
      value: Buffer.from('v15'),
      headers: { n: '15', 'userstream-run-id': 'r1' },
    });
    const other = await reader.read({ topic, partition: 1, last: 50 });
    expect(other.records.map((r) => [r.offset, r.key, [...(r.value ?? [])]])).toEqual([0, 1, 2].map((i) => [i, null, [0xc3, 0x01, i]]));
  });

  it('reads from an offset (clamped to the partition) and from a time, up to the limit', async () => {
    expect((await reader.read({ topic, partition: 0, fromOffset: 3, limit: 4 })).records.map((r) => r.offset)).toEqual([3, 4, 5, 6]);
    expect((await reader.read({ topic, partition: 0, fromOffset: 18 })).records.map((r) => r.offset)).toEqual([18, 19]);
    expect(await reader.read({ topic, partition: 0, fromOffset: 999 })).toMatchObject({ start: 20, records: [], complete: true });
    expect((await reader.read({ topic, partition: 0, fromTime: base + 16_500, limit: 10 })).records.map((r) => r.offset)).toEqual([17, 18, 19]);
    expect((await reader.read({ topic, partition: 0, fromTime: Date.now() + 60_000 })).records).toEqual([]);
  });

  it('never joins the group it looks at, and leaves no group of its own behind', async () => {
    const groupId = unique('watched-group');
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    try {
      await waitFor(async () => (await admin.describeGroups([groupId])).groups[0].state === 'Stable' || undefined, {
        timeoutMs: 20_000,
        description: 'the watched group to be stable',
      });
      const before = await admin.describeGroups([groupId]);
      await reader.read({ topic, partition: 0, last: 3 });
      const after = await admin.describeGroups([groupId]);
      expect(after.groups[0].members.map((m) => m.memberId)).toEqual(before.groups[0].members.map((m) => m.memberId));
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups.filter((g) => g.startsWith(`reader-${topic}`))).toEqual([]);
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  });

  it('refuses bad requests and names a partition that does not exist', async () => {
    for (const bad of [
      { partition: 0 },
      { partition: 0, last: 1, fromOffset: 1 },
      { partition: -1, last: 1 },
      { partition: 0, last: 0 },
      { partition: 0, fromOffset: 1.5 },
      { partition: 0, last: 5, limit: 0 },
    ]) {
      await expect(reader.read({ topic, ...bad })).rejects.toBeInstanceOf(ConfigError);
    }
    await expect(reader.read({ topic, partition: 7, last: 1 })).rejects.toMatchObject({
      code: 'KAFKA_CONSUMER_FAILED',
      message: expect.stringContaining('no partition 7'),
    });
    await expect(reader.read({ topic: unique('no-such-topic'), partition: 0, last: 1 })).rejects.toBeInstanceOf(KafkaError);
  });
});
