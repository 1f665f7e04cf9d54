import { SinkError, SinkErrorCode, type CassandraSink } from '@userstream/cassandra-sink';
import type { DecodedUserValue, HandlerBatch } from '@userstream/kafka';
import type { TypedEmitter } from '@userstream/core';

/** Events of the processor itself, for metrics. */
export type ProcessorEvents = {
  /** A batch of one partition was handled; `latenciesMs` are produce-to-write times of the rows written. */
  'processor.batch_done': { partition: number; written: number; deadLettered: number; lag: number; latenciesMs: number[] };
};

/**
 * Writes one partition's batch and reports each record's fate to the consumer
 * runner: written rows are done, rows Cassandra refuses for good go to the
 * dead-letter topic, and rows that failed retriably (Cassandra down or
 * overloaded) stay undone: the thrown retriable error makes the runner pause
 * the partition and deliver them again after a backoff, so nothing is skipped
 * and no offset passes an unwritten record.
 */
export async function writeUserBatch(
  sink: Pick<CassandraSink, 'writeBatch'>,
  batch: HandlerBatch<DecodedUserValue>,
  events: TypedEmitter<ProcessorEvents>,
): Promise<void> {
  const result = await sink.writeBatch(
    batch.records.map((r) => r.value.record),
    { signal: batch.signal },
  );
  let retriable: SinkError | undefined;
  let deadLettered = 0;
  const now = Date.now();
  for (const outcome of result.results) {
    const record = batch.records[outcome.index];
    if (outcome.status === 'written') {
      batch.done(record);
    } else if (!outcome.retriable) {
      batch.reject(record, outcome.error, 'write');
      deadLettered++;
    } else retriable ??= outcome.error;
  }
  const last = batch.records[batch.records.length - 1];
  events.emitLazy('processor.batch_done', () => ({
    partition: batch.partition,
    written: result.written,
    deadLettered,
    lag: last ? Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1) : 0,
    // Built only when metrics listen: this runs once per batch on the hot path.
    latenciesMs: result.results.filter((r) => r.status === 'written').map((r) => now - Number(batch.records[r.index].timestamp)),
  }));
  if (retriable) {
    throw new SinkError(`writing batch: ${result.retriableFailures} of ${batch.records.length} records not written yet: ${retriable.message}`, {
      code: SinkErrorCode.NOT_ATTEMPTED,
      retriable: true,
      cause: retriable,
    });
  }
}
