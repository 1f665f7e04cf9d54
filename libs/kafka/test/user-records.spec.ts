import { waitFor } from '@userstream/core';
import { UserCodec, userSchemaV2Json, type WireEncoding } from '@userstream/user-schema';
import { createUserProducer, DEAD_LETTER_HEADERS, userRecordDecoder, type DecodedUserValue, type KafkaAdmin, type KafkaClient } from '../src';
import { readAll, sampleUser, testClient, unique } from './helpers';

jest.setTimeout(60_000);

// The stream-processor's view: whatever ingest wrote, in any encoding, reaches
// the handler as a user record; anything else goes to the dead-letter topic.
describe('user records through Kafka in every encoding', () => {
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

  it.each(['avro', 'confluent', 'json'] as WireEncoding[])('%s: produced with key and headers, decoded by the runner', async (encoding) => {
    const topic = unique(`users-${encoding}`);
    topics.push(topic, `${topic}.dlq`);
    await admin.ensureTopic(topic, { partitions: 2 });
    const users = Array.from({ length: 20 }, (_, i) => sampleUser(i));
    const producer = createUserProducer(client, {
      topic,
      encoding,
      ...(encoding === 'confluent' ? { schemaId: 42 } : {}),
      runId: 'run-42',
      compression: 'gzip',
    });
    try {
      const report = await producer.send(users);
      expect(report.acknowledged).toBe(20);
    } finally {
      await producer.close();
    }
    // A poison value among them.
    const raw = client.producer();
    await raw.sendMessages(topic, [{ key: 'poison', value: Buffer.from([0x00, 0x00]) }]);
    await raw.close();

    // The reader resolves registry ids through a lookup (here: a stand-in for the registry).
    const codec = new UserCodec({ resolveSchemaId: async (id) => (id === 42 ? userSchemaV2Json : Promise.reject(new Error(`no schema ${id}`))) });
    const received = new Map<string, DecodedUserValue>();
    const runner = client.consumerRunner<DecodedUserValue>({
      groupId: unique('users-group'),
      topics: topic,
      decode: userRecordDecoder(codec),
      maxWaitTimeInMs: 50,
      handler: async ({ records }) => {
        for (const r of records) {
          expect(r.key?.toString()).toBe(r.value.record.id);
          expect(r.headers['userstream-encoding']?.toString()).toBe(encoding);
          expect(r.headers['userstream-run-id']?.toString()).toBe('run-42');
          received.set(r.value.record.id, r.value);
        }
      },
    });
    await runner.start();
    try {
      await waitFor(() => received.size === 20 && runner.stats.deadLettered === 1, { description: '20 users and one dead letter' });
    } finally {
      await runner.stop();
    }
    for (const user of users) {
      const got = received.get(user.id);
      expect(got?.encoding).toBe(encoding);
      // JSON carries the twelve v1 fields; the reader fills the v2 fields with defaults.
      if (encoding === 'json') expect(got?.record).toMatchObject({ id: user.id, first_name: user.first_name, address: user.address, nationality: '' });
      else expect(got?.record).toEqual(user);
    }
    const [dead] = await readAll(`${topic}.dlq`, 1);
    expect(dead.key?.toString()).toBe('poison');
    expect(dead.value?.equals(Buffer.from([0x00, 0x00]))).toBe(true);
    expect(dead.headers?.[DEAD_LETTER_HEADERS.errorCode]?.toString()).toBe('RECORD_UNDECODABLE');
    expect(dead.headers?.[DEAD_LETTER_HEADERS.stage]?.toString()).toBe('decode');
  });
});
