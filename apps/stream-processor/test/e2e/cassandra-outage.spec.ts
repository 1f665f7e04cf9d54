import type { Client } from 'cassandra-driver';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { SERVICE_AUTH, type AppProcess } from '@userstream/tools/testing';
import { sleep, waitFor } from '@userstream/core';
import { connectCassandra, dropKeyspace, metricValue, mockIds, readIds, stack, startIngest, startProcessor, startRun, uniqueNames, waitForRowCount, waitRunFinished } from './pipeline.harness';

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
    const rowsBefore = await waitFor(
      async () => {
        const count = (await readIds(cassandra!, names.keyspace)).length;
        return count >= 2000 ? count : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, description: 'first rows before the outage' },
    );
    // Mid-stream: most of the run is still to come when Cassandra goes away.
    expect(rowsBefore).toBeLessThan(15_000);
    await cassandra!.shutdown();
    cassandra = undefined;

    await stack('down', 'cassandra');
    const ready = await fetch(`${processor.url}/health/ready`, { headers: SERVICE_AUTH });
    expect(ready.status).toBe(503);
    // The outage itself: the processor must hold its offsets and wait, not skip.
    await sleep(20_000);
    await stack('up', 'cassandra');

    const finished = await waitRunFinished(ingest, run.id);
    expect(finished.counts.acknowledged).toBe(20_000);
    cassandra = await connectCassandra();
    const ids = await waitForRowCount(cassandra, names.keyspace, 20_000, 240_000);
    expect(new Set(ids)).toEqual(new Set(mockIds(seed, 1, 20, 1000)));
    // Recovered without a restart, by retrying the batches Cassandra refused while it was down.
    expect(processor.child.exitCode).toBeNull();
    expect(await metricValue(processor, 'userstream_processor_batch_retries_total')).toBeGreaterThan(0);
    expect(await metricValue(processor, 'userstream_processor_paused')).toBe(0);
    await waitFor(async () => (await fetch(`${processor.url}/health/ready`, { headers: SERVICE_AUTH })).ok || undefined, { timeoutMs: 60_000, description: 'processor ready again' });
  });
});
