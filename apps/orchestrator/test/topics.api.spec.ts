// The history, topic-browser and re-drive API of the built orchestrator on the
// real Kafka and Cassandra: answers for good requests, and a 4xx (never a
// crash, never a 500) for what an attacker or a confused client would send.
import type { AppProcess } from '@userstream/tools/testing';
import { UserCodec } from '@userstream/user-schema';
import type { HistoryView } from '../src/history/pipeline-history.service';
import type { BrowseResult } from '../src/topics/topic-browser.service';
import { kafkaClient } from './support/full-stack';
import { api, cassandraClient, startOrchestrator, uniqueName } from './support/orchestrator.process';

jest.setTimeout(90_000);

describe('history, topic browser and re-drive API', () => {
  const topic = uniqueName('orch_topics');
  const keyspace = uniqueName('orch_topics_hist');
  const cassandra = cassandraClient();
  let app: AppProcess;

  beforeAll(async () => {
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const record = {
      id: '0b8b3b9e-8b7a-4f57-9f0a-3c6a2f4b7d11',
      first_name: 'Ada',
      last_name: 'L',
      gender: 'female',
      address: 'a',
      postcode: '1',
      email: 'ada@example.com',
      username: 'ada',
      dob: 'd',
      registered_date: 'r',
      phone: 'p',
      picture: 'x',
    };
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { partition: 0, key: record.id, value: new UserCodec().encode(record, { encoding: 'avro', schemaVersion: 1 }), headers: { 'userstream-run-id': 'r1' } },
        { partition: 0, key: Buffer.from([0xff, 0x00]), value: Buffer.from('junk') },
      ],
    });
    await producer.disconnect();
    app = await startOrchestrator({ ORCHESTRATOR_KEYSPACE: keyspace, KAFKA_TOPIC: topic });
  });

  afterAll(async () => {
    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await cassandra.shutdown();
  });

  it('serves the history with the newest snapshot', async () => {
    const { status, body } = await api<HistoryView>(app, 'GET', '/api/pipeline/history?seconds=60');
    expect(status).toBe(200);
    expect(body).toMatchObject({ intervalMs: 10_000, capacity: 8640 });
    expect(Object.keys(body.samples).sort()).toEqual(['dlq', 'inPerSec', 'lag', 'outPerSec', 'produced', 'rows', 't']);
  });

  it('lists the topic and its DLQ, and reads decoded records with key, headers and time', async () => {
    const { body: list } = await api<{ topics: Array<{ name: string; kind: string; exists: boolean }> }>(app, 'GET', '/api/topics');
    expect(list.topics.map((t) => [t.name, t.kind, t.exists])).toEqual([
      [topic, 'topic', true],
      [`${topic}.dlq`, 'dlq', false],
    ]);
    const { status, body } = await api<BrowseResult>(app, 'GET', `/api/topics/${topic}/records?partition=0&last=10`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ topic, partition: 0, low: 0, high: 2, start: 0, complete: true });
    expect(body.records[0]).toMatchObject({
      offset: 0,
      key: { text: '0b8b3b9e-8b7a-4f57-9f0a-3c6a2f4b7d11' },
      headers: { 'userstream-run-id': 'r1' },
      value: {
        decoded: true,
        encoding: 'avro',
        schema: expect.stringMatching(/^v1 \(fingerprint [0-9a-f]{16}\)$/),
        record: { email: 'ada@example.com', city: '' },
      },
    });
    expect(body.records[1]).toMatchObject({
      offset: 1,
      key: { hex: 'ff00' },
      value: { decoded: false, reason: 'unknown-magic', hex: Buffer.from('junk').toString('hex') },
    });
    expect(Date.parse(body.records[0].timestamp)).toBeGreaterThan(Date.now() - 600_000);
  });

  it('answers hostile requests with a 4xx', async () => {
    const bad: Array<[string, string, unknown, number]> = [
      ['GET', '/api/pipeline/history?seconds=0', undefined, 400],
      ['GET', '/api/pipeline/history?seconds=abc', undefined, 400],
      ['GET', '/api/pipeline/history?seconds=99999999999', undefined, 400],
      ['GET', `/api/topics/${topic}/records?partition=-1`, undefined, 400],
      ['GET', `/api/topics/${topic}/records?partition=9`, undefined, 404],
      ['GET', `/api/topics/${topic}/records?last=0`, undefined, 400],
      ['GET', `/api/topics/${topic}/records?last=100000`, undefined, 400],
      ['GET', `/api/topics/${topic}/records?last=5&fromOffset=1`, undefined, 400],
      ['GET', `/api/topics/${topic}/records?fromTime=yesterday`, undefined, 400],
      ['GET', `/api/topics/${topic}/records?reason=%3Cscript%3E`, undefined, 400],
      ['GET', '/api/topics/__consumer_offsets/records', undefined, 404],
      ['GET', '/api/topics/..%2F..%2Fetc/records', undefined, 404],
      ['POST', '/api/dlq/redrive', { partition: 0 }, 400],
      ['POST', '/api/dlq/redrive', { partition: 0, offsets: ['1'] }, 400],
      ['POST', '/api/dlq/redrive', { partition: 0, reason: 'X', offsets: [1] }, 400],
      ['POST', '/api/dlq/redrive', [1, 2], 400],
    ];
    for (const [method, path, body, status] of bad) {
      const res = await api<{ message?: string }>(app, method, path, body);
      expect({ path, body, status: res.status }).toEqual({ path, body, status });
    }
    // Without a login nothing is answered.
    const anonymous = await fetch(`${app.url}/api/topics/${topic}/records`, { headers: { accept: 'application/json' } });
    expect(anonymous.status).toBe(401);
    const redrive = await fetch(`${app.url}/api/dlq/redrive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"partition":0,"reason":"X"}',
    });
    expect(redrive.status).toBe(401);
  });
});
