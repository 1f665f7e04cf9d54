import { Registry } from 'prom-client';
import { RandomUserClient } from '@userstream/randomuser-client';
import { IngestRun } from '../runs/ingest-run';
import { IngestMetrics } from './ingest.metrics';
import { FakeSink, FakeSource } from '../../test/support/run-fakes';

/** The value of a metric's series (for a histogram, `suffix` picks `_count`, `_sum`...). */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}, suffix = ''): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l) && (v.metricName ?? name) === `${name}${suffix}`)?.value;
}

describe('IngestMetrics', () => {
  it('counts records, runs and the active gauge from run events', async () => {
    const registry = new Registry();
    const metrics = new IngestMetrics(registry);
    const run = new IngestRun({
      id: 'm1',
      params: { records: 10, seed: 'm', encoding: 'avro', startPage: 1, pageSize: 5 },
      source: new FakeSource({ brokenUsers: new Set(['1:0', '2:4']) }),
      sink: new FakeSink(),
    });
    metrics.observeRun(run);
    expect(await value(registry, 'userstream_ingest_active_runs')).toBe(1);
    await run.start();
    expect(await value(registry, 'userstream_ingest_records_fetched_total')).toBe(10);
    expect(await value(registry, 'userstream_ingest_records_valid_total')).toBe(8);
    expect(await value(registry, 'userstream_ingest_records_invalid_total')).toBe(2);
    expect(await value(registry, 'userstream_ingest_records_produced_total')).toBe(8);
    expect(await value(registry, 'userstream_ingest_records_acknowledged_total')).toBe(8);
    expect(await value(registry, 'userstream_ingest_runs_total', { state: 'succeeded' })).toBe(1);
    expect(await value(registry, 'userstream_ingest_runs_total', { state: 'failed' })).toBe(0);
    expect(await value(registry, 'userstream_ingest_active_runs')).toBe(0);
  });

  it('counts API requests by status, retries and latency from the client events', async () => {
    const registry = new Registry();
    const metrics = new IngestMetrics(registry);
    const client = new RandomUserClient({ baseUrl: 'http://127.0.0.1:1/api/' });
    metrics.observeClient(client);
    client.events.emit('client.request_failed', {
      code: 'API_HTTP_ERROR',
      status: 429,
      attempt: 1,
      willRetry: true,
      delayMs: 10,
      durationMs: 5,
      message: 'x',
      page: 1,
    });
    client.events.emit('client.request_failed', { code: 'API_NETWORK', attempt: 2, willRetry: true, delayMs: 10, message: 'x', page: 1 });
    client.events.emit('client.request_succeeded', { durationMs: 250, status: 200, results: 10, attempt: 3, page: 1, seed: 's' });
    client.close();
    expect(await value(registry, 'userstream_ingest_api_requests_total', { status: '429' })).toBe(1);
    expect(await value(registry, 'userstream_ingest_api_requests_total', { status: 'API_NETWORK' })).toBe(1);
    expect(await value(registry, 'userstream_ingest_api_requests_total', { status: '200' })).toBe(1);
    expect(await value(registry, 'userstream_ingest_api_retries_total')).toBe(2);
    expect(await value(registry, 'userstream_ingest_api_request_duration_seconds', {}, '_count')).toBe(2);
  });
});
