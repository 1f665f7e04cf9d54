import { UserstreamError } from '@userstream/core';
import { KafkaError, ProduceError, type KafkaAdmin, type KafkaProducer, type OutgoingMessage, type PartitionOffsets } from '@userstream/kafka';
import { fromRandomUser, type UserRecordV2 } from '@userstream/user-schema';
import { generatePage } from '@userstream/tools/mock-api';
import { KafkaRunSink } from './kafka-run.sink';

const records: UserRecordV2[] = generatePage({ seed: 'sink', results: 4 }).results.map((u) => fromRandomUser(u, { ingestedAt: 1 }));

function fakeAdmin(answers: Array<PartitionOffsets[] | Error>) {
  const calls: string[] = [];
  const admin = {
    topicEndOffsets: async (topic: string) => {
      calls.push(topic);
      const next = answers.shift();
      if (next === undefined) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as KafkaAdmin;
  return { admin, calls };
}

function fakeProducer(send: (messages: readonly OutgoingMessage[]) => Promise<{ acknowledged: number }>) {
  const sent: OutgoingMessage[] = [];
  const producer = {
    sendMessages: async (_topic: string, messages: readonly OutgoingMessage[]) => {
      sent.push(...messages);
      const { acknowledged } = await send(messages);
      return { acknowledged, failed: 0, requests: 1, bytes: 0, durationMs: 0, failures: [] };
    },
  } as unknown as KafkaProducer;
  return { producer, sent };
}

const serializer =
  async () =>
  (record: UserRecordV2): OutgoingMessage => ({ key: record.id, value: Buffer.from(record.email), headers: { 'userstream-run-id': 'r' } });

describe('KafkaRunSink', () => {
  it('ensures the topic, sends serialized records and reports the offsets written between the two snapshots', async () => {
    let ensured = 0;
    const { admin } = fakeAdmin([
      [
        { partition: 0, low: 0, high: 5 },
        { partition: 1, low: 0, high: 0 },
        { partition: 2, low: 0, high: 7 },
      ],
      [
        { partition: 0, low: 0, high: 8 },
        { partition: 1, low: 0, high: 1 },
        { partition: 2, low: 0, high: 7 },
      ],
    ]);
    const { producer, sent } = fakeProducer(async (m) => ({ acknowledged: m.length }));
    const sink = new KafkaRunSink({ topic: 't', producer, admin, ensureTopic: async () => void ensured++, serializer });
    await sink.open();
    expect(await sink.send(records)).toEqual({ acknowledged: 4 });
    expect(ensured).toBe(1);
    expect(sent.map((m) => m.key)).toEqual(records.map((r) => r.id));
    expect(await sink.close()).toEqual({
      topic: 't',
      partitions: [
        { partition: 0, first: 5, last: 7 },
        { partition: 1, first: 0, last: 0 },
      ],
    });
  });

  it('retries the offsets of a topic whose leaders are not known yet', async () => {
    const notLeader = new KafkaError('reading offsets of topic t: This server is not the leader for that topic-partition', {
      code: 'KAFKA_ADMIN_FAILED',
      retriable: true,
    });
    const { admin, calls } = fakeAdmin([notLeader, notLeader, [{ partition: 0, low: 0, high: 0 }], [{ partition: 0, low: 0, high: 4 }]]);
    const { producer } = fakeProducer(async (m) => ({ acknowledged: m.length }));
    const sink = new KafkaRunSink({ topic: 't', producer, admin, ensureTopic: async () => undefined, serializer });
    await sink.open();
    await sink.send(records);
    expect(await sink.close()).toEqual({ topic: 't', partitions: [{ partition: 0, first: 0, last: 3 }] });
    expect(calls).toHaveLength(4);
  });

  it('does not stop the run when the offsets cannot be read: close says why', async () => {
    const { admin } = fakeAdmin([new KafkaError('reading offsets of topic t: denied', { code: 'KAFKA_ADMIN_FAILED', retriable: false })]);
    const { producer } = fakeProducer(async (m) => ({ acknowledged: m.length }));
    const sink = new KafkaRunSink({ topic: 't', producer, admin, ensureTopic: async () => undefined, serializer });
    await sink.open();
    expect(await sink.send(records)).toEqual({ acknowledged: 4 });
    await expect(sink.close()).rejects.toThrow('the end offsets before the first send are unknown: reading offsets of topic t: denied');
  });

  it('reports the acknowledged part of a failed send', async () => {
    const { admin } = fakeAdmin([[{ partition: 0, low: 0, high: 0 }]]);
    const failure = new ProduceError('producing to t: 3 of 4 records not acknowledged', {
      acknowledged: 1,
      failed: 3,
      requests: 2,
      bytes: 0,
      durationMs: 0,
      failures: [{ from: 1, to: 4, error: new KafkaError('broker gone', { code: 'KAFKA_PRODUCE_FAILED', retriable: true }) }],
    });
    const { producer } = fakeProducer(async () => Promise.reject(failure));
    const sink = new KafkaRunSink({ topic: 't', producer, admin, ensureTopic: async () => undefined, serializer });
    await sink.open();
    expect(await sink.send(records)).toEqual({ acknowledged: 1, error: failure });
  });

  it('fails open when the topic cannot be prepared', async () => {
    const { admin } = fakeAdmin([]);
    const { producer } = fakeProducer(async (m) => ({ acknowledged: m.length }));
    const problem = new UserstreamError('preparing topic t: connection refused', { code: 'KAFKA_CONNECT_FAILED', retriable: true });
    const sink = new KafkaRunSink({ topic: 't', producer, admin, ensureTopic: async () => Promise.reject(problem), serializer });
    await expect(sink.open()).rejects.toBe(problem);
  });
});
