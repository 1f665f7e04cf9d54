import type { Client } from 'cassandra-driver';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import type { AppProcess } from '@userstream/tools/testing';
import { sleep, waitFor } from '@userstream/core';
import { connectCassandra, dropKeyspace, mockIds, readIds, stack, startIngest, startProcessor, startRun, uniqueNames, waitForRowCount, waitRunFinished } from './pipeline.harness';

jest.setTimeout(400_000);

describe('end to end with a Cassandra outage', () => {
  const names = uniqueNames('outage');
  let mock: MockApi;
  let ingest: AppProcess;
  let processor: AppProcess;
  let cassandra: Client | undefined;

  beforeAll(async () => {
    mock = await startMockApi();
    cassandra = await connectCassandra();
    [ingest, processor] = await Promise.all([startIngest(names, mock.url), startProcessor(names)]);
  });

  afterAll(async () => {
    await stack('up', 'cassandra');
    await Promise.all([ingest?.stop(), processor?.stop()]);
    if (cassandra) {
      await dropKeyspace(cassandra, names.keyspace);
      await cassandra.shutdown();
    }
    await mock?.close();
  });

  it('loses no id when Cassandra stops for 20 s mid-stream, and recovers by itself', async () => {
    const seed = 'e2e-outage';
    const run = await startRun(ingest, { records: 20_000, seed, pageSize: 1000, rate: 1000 });
    await waitFor(async () => ((await readIds(cassandra!, names.keyspace)).length >= 2000 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 200,
      description: 'first rows before the outage',
    });
    await cassandra!.shutdown();
    cassandra = undefined;

    await stack('down', 'cassandra');
    const ready = await fetch(`${processor.url}/health/ready`);
    expect(ready.status).toBe(503);
    // The outage itself: the processor must hold its offsets and wait, not skip.
    await sleep(20_000);
    await stack('up', 'cassandra');

    const finished = await waitRunFinished(ingest, run.id);
    expect(finished.counts.acknowledged).toBe(20_000);
    cassandra = await connectCassandra();
    const ids = await waitForRowCount(cassandra, names.keyspace, 20_000, 240_000);
    expect(new Set(ids)).toEqual(new Set(mockIds(seed, 1, 20, 1000)));
    // Recovered without a restart.
    expect(processor.child.exitCode).toBeNull();
    await waitFor(async () => (await fetch(`${processor.url}/health/ready`)).ok || undefined, { timeoutMs: 60_000, description: 'processor ready again' });
  });
});
