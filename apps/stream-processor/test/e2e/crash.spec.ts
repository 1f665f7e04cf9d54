import type { Client } from 'cassandra-driver';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import type { AppProcess } from '@userstream/tools/testing';
import { connectCassandra, dropKeyspace, metricValue, mockIds, readIds, startIngest, startProcessor, startRun, uniqueNames, waitForRowCount, waitRunFinished } from './pipeline.harness';
import { waitFor } from '@userstream/core';

jest.setTimeout(300_000);

describe('end to end with processor crashes', () => {
  let mock: MockApi;
  let cassandra: Client;
  const apps: AppProcess[] = [];
  const keyspaces: string[] = [];

  beforeAll(async () => {
    mock = await startMockApi();
    cassandra = await connectCassandra();
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    for (const ks of keyspaces) await dropKeyspace(cassandra, ks);
    await cassandra?.shutdown();
    await mock?.close();
  });

  const rowsAtLeast = (keyspace: string, n: number) =>
    waitFor(async () => ((await readIds(cassandra, keyspace)).length >= n ? true : undefined), { timeoutMs: 120_000, intervalMs: 200, description: `${n} rows` });

  it('loses no id when the processor is killed with SIGKILL mid-stream and restarted', async () => {
    const names = uniqueNames('sigkill');
    keyspaces.push(names.keyspace);
    const ingest = await startIngest(names, mock.url);
    apps.push(ingest);
    let processor = await startProcessor(names);
    apps.push(processor);

    const seed = 'e2e-sigkill';
    const run = await startRun(ingest, { records: 20_000, seed, pageSize: 1000, rate: 2000 });
    await rowsAtLeast(names.keyspace, 2000);
    const killed = await processor.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const atKill = (await readIds(cassandra, names.keyspace)).length;
    expect(atKill).toBeLessThan(20_000);

    processor = await startProcessor(names);
    apps.push(processor);
    const finished = await waitRunFinished(ingest, run.id);
    expect(finished.counts.acknowledged).toBe(20_000);
    const ids = await waitForRowCount(cassandra, names.keyspace, 20_000);
    expect(new Set(ids)).toEqual(new Set(mockIds(seed, 1, 20, 1000)));
  });

  it('shares 4 partitions between two instances and hands them over when one is killed', async () => {
    const names = uniqueNames('twoinst');
    keyspaces.push(names.keyspace);
    const ingest = await startIngest(names, mock.url);
    apps.push(ingest);
    const first = await startProcessor(names);
    const second = await startProcessor(names);
    apps.push(first, second);

    const seed = 'e2e-two-instances';
    const run = await startRun(ingest, { records: 20_000, seed, pageSize: 1000, rate: 2000 });
    await rowsAtLeast(names.keyspace, 4000);
    // Both instances must have had partitions: each reports written records in its metrics.
    const written = (p: AppProcess) => metricValue(p, 'userstream_processor_records_written_total');
    await waitFor(async () => ((await written(first)) > 0 && (await written(second)) > 0) || undefined, { timeoutMs: 60_000, description: 'both instances writing' });

    const secondWrittenAtKill = await written(second);
    await second.stop('SIGKILL');
    const finished = await waitRunFinished(ingest, run.id);
    expect(finished.counts.acknowledged).toBe(20_000);
    const ids = await waitForRowCount(cassandra, names.keyspace, 20_000);
    expect(new Set(ids)).toEqual(new Set(mockIds(seed, 1, 20, 1000)));
    expect(first.child.exitCode).toBeNull();
    // The survivor took over the killed instance's partitions: together with what the killed one wrote
    // before it died (at most what it reported last, plus the batches in flight), it wrote every row.
    expect(await written(first)).toBeGreaterThanOrEqual(20_000 - secondWrittenAtKill - 2000);
  });
});
