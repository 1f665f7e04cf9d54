import type { Client } from 'cassandra-driver';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { SERVICE_AUTH, type AppProcess } from '@userstream/tools/testing';
import { sleep, waitFor } from '@userstream/core';
import { connectCassandra, dropKeyspace, mockIds, readIds, stack, startIngest, startProcessor, startRun, uniqueNames, waitForRowCount, waitRunFinished } from './pipeline.harness';

jest.setTimeout(400_000);

describe('end to end with a Kafka outage', () => {
  const names = uniqueNames('kafkaoutage');
  let mock: MockApi;
  let ingest: AppProcess | undefined;
  let processor: AppProcess | undefined;
  let cassandra: Client;

  beforeAll(async () => {
    mock = await startMockApi();
    cassandra = await connectCassandra();
  });

  afterAll(async () => {
    await stack('up', 'kafka');
    await Promise.all([ingest?.stop(), processor?.stop()]);
    await dropKeyspace(cassandra, names.keyspace);
    await cassandra?.shutdown();
    await mock?.close();
  });

  it('loses no id when the broker stops for 15 s mid-drain, and the processor recovers by itself', async () => {
    const seed = 'e2e-kafka-outage';
    ingest = await startIngest(names, mock.url);
    const run = await startRun(ingest, { records: 100_000, seed, pageSize: 5000 });
    expect(await waitRunFinished(ingest, run.id)).toMatchObject({ state: 'succeeded', counts: { acknowledged: 100_000 } });
    await ingest.stop();
    ingest = undefined;

    // Few rows in flight, so the drain lasts long enough for the broker to go away in the middle of it.
    processor = await startProcessor(names, { CASSANDRA_WRITE_CONCURRENCY: '4', PROCESSOR_MAX_RECORDS_PER_BATCH: '500' });
    const rowsBefore = await waitFor(
      async () => {
        const count = (await readIds(cassandra, names.keyspace)).length;
        return count >= 2000 ? count : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, description: 'first rows before the outage' },
    );
    expect(rowsBefore).toBeLessThan(80_000);

    await stack('down', 'kafka');
    const notReady = await waitFor(
      async () => {
        const res = await fetch(`${processor!.url}/health/ready`, { headers: SERVICE_AUTH });
        return res.status === 503 ? ((await res.json()) as unknown) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'the processor to report Kafka not ready' },
    );
    expect(JSON.stringify(notReady)).toContain('kafka');
    await sleep(15_000);
    expect(processor.child.exitCode).toBeNull();
    await stack('up', 'kafka');

    const ids = await waitForRowCount(cassandra, names.keyspace, 100_000, 240_000);
    expect(ids).toHaveLength(100_000);
    expect(new Set(ids)).toEqual(new Set(mockIds(seed, 1, 20, 5000)));
    expect(processor.child.exitCode).toBeNull();
    await waitFor(async () => (await fetch(`${processor!.url}/health/ready`, { headers: SERVICE_AUTH })).ok || undefined, { timeoutMs: 60_000, description: 'processor ready again' });
  });
});
