import { Registry } from 'prom-client';
import { TypedEmitter } from '@userstream/core';
import type { SinkEvents } from '@userstream/cassandra-sink';
import type { KafkaEvents } from '@userstream/kafka';
import type { ProcessorEvents } from './batch.writer';
import { registerProcessorMetrics } from './processor.metrics';
import type { StreamProcessor } from './stream-processor';

function metrics() {
  const kafka = new TypedEmitter<KafkaEvents>();
  const sink = new TypedEmitter<SinkEvents>();
  const registry = new Registry();
  const processor = { kafka: { events: kafka }, sink: { events: sink }, events: new TypedEmitter<ProcessorEvents>() } as unknown as StreamProcessor;
  registerProcessorMetrics(registry, processor);
  const value = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
  const retry = (partition: number) =>
    kafka.emit('kafka.handler_retry', { topic: 't', partition, attempt: 1, delayMs: 1000, error: new Error('Cassandra unavailable'), retriable: true });
  const handled = (partition: number) => kafka.emit('kafka.batch_handled', { topic: 't', partition, records: 10, durationMs: 5, lastOffset: '9' });
  return { kafka, sink, value, retry, handled };
}

describe('registerProcessorMetrics', () => {
  it('reads paused from a failed batch of a partition until that partition handles a batch again, whatever the others do', async () => {
    const m = metrics();
    expect(await m.value('userstream_processor_paused')).toBe(0);
    m.retry(0);
    m.retry(1);
    // The consumer resumes partition 0 after its backoff and delivers the batch again: still held back.
    m.kafka.emit('kafka.consumer_resumed', { topic: 't', partitions: [0], reason: 'retry' });
    m.handled(1);
    expect(await m.value('userstream_processor_paused')).toBe(1);
    m.handled(0);
    expect(await m.value('userstream_processor_paused')).toBe(0);
    // A held-back partition that moves to another member is no longer this one's to report.
    m.retry(2);
    m.kafka.emit('kafka.group_joined', { groupId: 'g', memberId: 'm', assignment: { t: [0, 1] } });
    expect(await m.value('userstream_processor_paused')).toBe(0);
  });

  it('counts rows written as each request is acknowledged', async () => {
    const m = metrics();
    m.sink.emit('sink.records_written', { records: 32 });
    m.sink.emit('sink.records_written', { records: 5 });
    expect(await m.value('userstream_processor_records_written_total')).toBe(37);
    m.sink.emit('sink.batch_written', { records: 40, rows: 37, failed: 3, retriableFailures: 3, durationMs: 12, tables: ['users'], batches: 2, fallbacks: 0 });
    expect(await m.value('userstream_processor_records_written_total')).toBe(37);
  });
});
