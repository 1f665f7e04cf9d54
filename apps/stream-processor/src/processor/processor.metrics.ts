import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StreamProcessor } from './stream-processor';

/**
 * Prometheus metrics of the processor, fed by the libraries' typed events:
 * records consumed, written and dead-lettered, write latency, consumer lag
 * per partition and the end-to-end latency from produce time to write.
 */
export function registerProcessorMetrics(registry: Registry, processor: StreamProcessor): void {
  const consumed = new Counter({ name: 'userstream_processor_records_consumed_total', help: 'Records handed to the writer (decoded)', registers: [registry] });
  const written = new Counter({ name: 'userstream_processor_records_written_total', help: 'Records written to Cassandra', registers: [registry] });
  // Unlabelled so it reads 0 from the start; the labelled one says why records were dead-lettered.
  const deadLettered = new Counter({
    name: 'userstream_processor_records_dead_lettered_total',
    help: 'Records sent to the dead-letter topic',
    registers: [registry],
  });
  const deadLetterReasons = new Counter({
    name: 'userstream_processor_dead_letters_total',
    help: 'Records sent to the dead-letter topic, by pipeline stage and error code',
    labelNames: ['stage', 'code'],
    registers: [registry],
  });
  const writeFailures = new Counter({
    name: 'userstream_processor_write_failures_total',
    help: 'Record writes that failed for good in a batch (retriable ones are retried later)',
    labelNames: ['code', 'retriable'],
    registers: [registry],
  });
  const retries = new Counter({ name: 'userstream_processor_batch_retries_total', help: 'Batches delivered again after a failure', registers: [registry] });
  const commits = new Counter({ name: 'userstream_processor_offset_commits_total', help: 'Offset commits', registers: [registry] });
  const batchSeconds = new Histogram({
    name: 'userstream_processor_write_batch_seconds',
    help: 'Wall time of one Cassandra write batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const recordP99 = new Gauge({
    name: 'userstream_processor_write_latency_p99_seconds',
    help: 'p99 per-record write latency of the last batch',
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'userstream_processor_consumer_lag',
    help: 'Records behind the partition end at the last batch',
    labelNames: ['partition'],
    registers: [registry],
  });
  const paused = new Gauge({
    name: 'userstream_processor_paused',
    help: '1 while a partition is held back by a failed batch (waiting out its backoff or being written again), 0 once every partition has written a batch since',
    registers: [registry],
  });

  const kafka = processor.kafka.events;
  kafka.on('kafka.batch_handled', (e) => consumed.inc(e.records));
  kafka.on('kafka.record_dead_lettered', (e) => {
    deadLettered.inc();
    deadLetterReasons.inc({ stage: e.stage, code: e.code });
  });
  kafka.on('kafka.handler_retry', () => retries.inc());
  kafka.on('kafka.offsets_committed', () => commits.inc());
  // Not the consumer's pause and resume events: a partition is resumed after its backoff while its batch is
  // still being retried, and one partition's resume would clear another's pause (the gauge read 0 all
  // through a two-node Cassandra outage). A partition is held back from a failed batch to its next handled one.
  const heldBack = new Set<string>();
  const showHeldBack = () => paused.set(heldBack.size > 0 ? 1 : 0);
  kafka.on('kafka.handler_retry', (e) => {
    heldBack.add(`${e.topic}/${e.partition}`);
    showHeldBack();
  });
  kafka.on('kafka.batch_handled', (e) => {
    heldBack.delete(`${e.topic}/${e.partition}`);
    showHeldBack();
  });
  kafka.on('kafka.group_joined', (e) => {
    // A partition that moved to another member is no longer this one's to report.
    for (const key of heldBack) {
      const [topic, partition] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))];
      if (!(e.assignment[topic] ?? []).includes(partition)) heldBack.delete(key);
    }
    showHeldBack();
  });
  const endToEnd = new Histogram({
    name: 'userstream_processor_end_to_end_latency_seconds',
    help: 'Time from the record being produced to Kafka to its row being written',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  processor.events.on('processor.batch_done', (e) => {
    lag.set({ partition: String(e.partition) }, e.lag);
    for (const ms of e.latenciesMs) endToEnd.observe(ms / 1000);
  });

  const sink = processor.sink.events;
  // As each request is acknowledged, not when a whole handler call (up to PROCESSOR_MAX_RECORDS_PER_BATCH
  // records, several seconds on a slow cluster) ends: the counter shows whether rows are going in right now.
  sink.on('sink.records_written', (e) => written.inc(e.records));
  sink.on('sink.batch_written', (e) => batchSeconds.observe(e.durationMs / 1000));
  sink.on('sink.write_failed', (e) => writeFailures.inc({ code: e.code, retriable: String(e.retriable) }));
  sink.on('sink.write_latency', (e) => recordP99.set(e.p99Ms / 1000));
}
