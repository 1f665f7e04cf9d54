import type { Client } from 'cassandra-driver';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import type { AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import {
  connectCassandra,
  dropKeyspace,
  kafka,
  mockIds,
  readIds,
  startIngest,
  startProcessor,
  startRun,
  uniqueNames,
  waitForRowCount,
  waitRunFinished,
} from './pipeline.harness';

jest.setTimeout(300_000);

describe('end to end under faults', () => {
  const names = uniqueNames('faults');
  let mock: MockApi;
  let ingest: AppProcess;
  let processor: AppProcess;
  let cassandra: Client;

  beforeAll(async () => {
    mock = await startMockApi({ faults: { faultSeed: 'e2e-faults', badRecords: 0.05, rate429: 0.05, rate5xx: 0.05, retryAfterSeconds: 0 } });
    cassandra = await connectCassandra();
    // Small pages give the API many chances to fail.
    [ingest, processor] = await Promise.all([startIngest(names, mock.url, { RANDOMUSER_MAX_ATTEMPTS: '10' }), startProcessor(names)]);
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop(), processor?.stop()]);
    await dropKeyspace(cassandra, names.keyspace);
    await cassandra?.shutdown();
    await mock?.close();
  });

  it('with 5% invalid records and 10% 429/5xx answers: every valid user arrives, invalid ones are counted', async () => {
    const seed = 'e2e-faults';
    const run = await startRun(ingest, { records: 10_000, seed, pageSize: 100, startPage: 1 });
    const finished = await waitRunFinished(ingest, run.id);
    expect(finished.state).toBe('succeeded');

    const stats = mock.stats();
    expect(stats.byOutcome['429'] ?? 0).toBeGreaterThan(0);
    expect((stats.byStatus['500'] ?? 0) + (stats.byStatus['502'] ?? 0) + (stats.byStatus['503'] ?? 0)).toBeGreaterThan(0);
    const invalid = new Set(stats.invalidUsers.map((u) => u.uuid));
    expect(invalid.size).toBeGreaterThan(0);
    expect(finished.counts.invalid).toBe(invalid.size);

    // Every user of the pages the run fetched, minus the broken ones, must be in Cassandra.
    const lastPage = finished.cursor.nextPage - 1;
    const served = mockIds(seed, 1, lastPage, 100);
    const expected = served.filter((id) => !invalid.has(id));
    expect(finished.counts.acknowledged).toBe(expected.length);
    const ids = await waitForRowCount(cassandra, names.keyspace, expected.length);
    expect(new Set(ids)).toEqual(new Set(expected));
  });

  it('sends bytes that are no valid record to the dead-letter topic with a reason, and keeps going', async () => {
    const client = kafka();
    const producer = client.producer();
    await producer.connect();
    const poison = [Buffer.from([0xc3, 0x01, 1, 2, 3]), Buffer.from('not a user'), Buffer.from('{"id": "nope"}')];
    await producer.send({ topic: names.topic, messages: poison.map((value, i) => ({ key: `poison-${i}`, value })) });
    await producer.disconnect();

    const consumer = client.consumer({ groupId: `${names.groupId}-dlq-check` });
    const seen: Array<{ value: Buffer | null; headers: Record<string, string> }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${names.topic}.dlq`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        seen.push({ value: message.value, headers });
      },
    });
    try {
      await waitFor(() => seen.length >= poison.length || undefined, { timeoutMs: 60_000, description: 'poison records in the DLQ' });
    } finally {
      await consumer.disconnect();
    }
    expect(seen.map((m) => m.value)).toEqual(expect.arrayContaining(poison));
    for (const m of seen) {
      expect(m.headers['dlq-stage']).toBe('decode');
      expect(m.headers['dlq-error-code']).toBe('RECORD_UNDECODABLE');
      expect(m.headers['dlq-error-message']).toBeTruthy();
      expect(m.headers['dlq-original-topic']).toBe(names.topic);
    }

    // The processor is still consuming: a new run's users arrive after the poison.
    const before = (await readIds(cassandra, names.keyspace)).length;
    const run = await startRun(ingest, { records: 500, seed: 'e2e-after-poison', pageSize: 500 });
    const finished = await waitRunFinished(ingest, run.id);
    await waitForRowCount(cassandra, names.keyspace, before + finished.counts.acknowledged);
    expect(processor.child.exitCode).toBeNull();
  });
});
