import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RandomUserClient } from '@userstream/randomuser-client';
import type { IngestRun } from '../runs/ingest-run';

/**
 * The ingest metrics (prom-client), fed by the typed events of the runs and
 * of the randomuser client.
 */
export class IngestMetrics {
  readonly fetched: Counter;
  readonly valid: Counter;
  readonly invalid: Counter;
  readonly discarded: Counter;
  readonly produced: Counter;
  readonly acknowledged: Counter;
  readonly apiRequests: Counter<'status'>;
  readonly apiRetries: Counter;
  readonly apiDuration: Histogram;
  readonly runs: Counter<'state'>;
  readonly activeRuns: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.fetched = new Counter({ name: 'userstream_ingest_records_fetched_total', help: 'Users received from the randomuser API', registers });
    this.valid = new Counter({ name: 'userstream_ingest_records_valid_total', help: 'Users that mapped to a valid record', registers });
    this.invalid = new Counter({ name: 'userstream_ingest_records_invalid_total', help: 'Broken users from the API (skipped, never produced)', registers });
    this.discarded = new Counter({
      name: 'userstream_ingest_records_discarded_total',
      help: 'Users received but never checked because their run ended first (fetched = valid + invalid + discarded)',
      registers,
    });
    this.produced = new Counter({ name: 'userstream_ingest_records_produced_total', help: 'Records handed to the Kafka producer', registers });
    this.acknowledged = new Counter({ name: 'userstream_ingest_records_acknowledged_total', help: 'Records acknowledged by Kafka (acks=all)', registers });
    this.apiRequests = new Counter({
      name: 'userstream_ingest_api_requests_total',
      help: 'Requests to the randomuser API by HTTP status (or error code when there was no answer)',
      labelNames: ['status'],
      registers,
    });
    this.apiRetries = new Counter({ name: 'userstream_ingest_api_retries_total', help: 'randomuser API requests retried after a failure', registers });
    this.apiDuration = new Histogram({
      name: 'userstream_ingest_api_request_duration_seconds',
      help: 'Duration of randomuser API requests',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.runs = new Counter({ name: 'userstream_ingest_runs_total', help: 'Finished runs by final state', labelNames: ['state'], registers });
    this.activeRuns = new Gauge({ name: 'userstream_ingest_active_runs', help: 'Runs in progress', registers });
    for (const state of ['succeeded', 'failed', 'cancelled']) this.runs.inc({ state }, 0);
  }

  /** Counts the client's requests, retries and latencies. Returns an unsubscribe function. */
  observeClient(client: RandomUserClient): () => void {
    const offSucceeded = client.events.on('client.request_succeeded', (e) => {
      this.apiRequests.inc({ status: String(e.status) });
      this.apiDuration.observe(e.durationMs / 1000);
    });
    const offFailed = client.events.on('client.request_failed', (e) => {
      this.apiRequests.inc({ status: e.status === undefined ? e.code : String(e.status) });
      if (e.durationMs !== undefined) this.apiDuration.observe(e.durationMs / 1000);
      if (e.willRetry) this.apiRetries.inc();
    });
    return () => {
      offSucceeded();
      offFailed();
    };
  }

  /** Counts a run's records and its end. */
  observeRun(run: IngestRun): void {
    this.activeRuns.inc();
    const offs = [
      run.events.on('run.page_fetched', (e) => this.fetched.inc(e.records)),
      run.events.on('run.records_checked', (e) => {
        this.valid.inc(e.valid);
        this.invalid.inc(e.invalid);
      }),
      run.events.on('run.records_produced', (e) => this.produced.inc(e.records)),
      run.events.on('run.records_acknowledged', (e) => this.acknowledged.inc(e.records)),
    ];
    const offFinished = run.events.on('run.finished', (e) => {
      this.activeRuns.dec();
      this.discarded.inc(e.status.counts.discarded);
      this.runs.inc({ state: e.state });
      for (const off of offs) off();
      offFinished();
    });
  }
}
