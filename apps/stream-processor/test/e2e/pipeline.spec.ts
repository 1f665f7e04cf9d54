import type { Client } from 'cassandra-driver';
import { startMockApi, generateUser, type MockApi } from '@userstream/tools/mock-api';
import { fromRandomUser } from '@userstream/user-schema';
import type { AppProcess } from '@userstream/tools/testing';
import { connectCassandra, dropKeyspace, mockIds, startIngest, startProcessor, startRun, uniqueNames, waitForRowCount, waitRunFinished } from './pipeline.harness';

jest.setTimeout(300_000);

describe('end to end: API → ingest → Kafka → stream-processor → Cassandra', () => {
  const names = uniqueNames('pipeline');
  let mock: MockApi;
  let ingest: AppProcess;
  let processor: AppProcess;
  let cassandra: Client;

  beforeAll(async () => {
    mock = await startMockApi();
    cassandra = await connectCassandra();
    [ingest, processor] = await Promise.all([startIngest(names, mock.url), startProcessor(names)]);
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop(), processor?.stop()]);
    await dropKeyspace(cassandra, names.keyspace);
    await cassandra?.shutdown();
    await mock?.close();
  });

  it('delivers 20,000 users: every id exactly once, rows equal what the API served', async () => {
    const seed = 'e2e-pipeline';
    const run = await startRun(ingest, { records: 20_000, seed, pageSize: 5000, startPage: 1 });
    const finished = await waitRunFinished(ingest, run.id);
    expect(finished).toMatchObject({ state: 'succeeded', counts: { valid: 20_000, invalid: 0, acknowledged: 20_000 } });

    const expected = mockIds(seed, 1, 4, 5000);
    const ids = await waitForRowCount(cassandra, names.keyspace, expected.length);
    expect(ids).toHaveLength(expected.length);
    expect(new Set(ids)).toEqual(new Set(expected));

    // Sampled rows must equal the mapping of exactly what the mock served.
    for (const [page, index] of [[1, 0], [2, 1234], [3, 4999], [4, 2500], [4, 4999]]) {
      const served = fromRandomUser(generateUser(seed, page, index));
      const row = (await cassandra.execute(`SELECT * FROM ${names.keyspace}.users WHERE id = ?`, [served.id], { prepare: true })).first();
      const { ingested_at: _ingestedAt, ...expectedFields } = served;
      const actual = Object.fromEntries(Object.keys(expectedFields).map((k) => [k, row.get(k) === null ? null : k === 'id' ? String(row.get(k)) : row.get(k)]));
      expect(actual).toEqual(expectedFields);
      expect(Number(row.get('ingested_at'))).toBeGreaterThan(0);
    }
    expect(processor.child.exitCode).toBeNull();
  });
});
