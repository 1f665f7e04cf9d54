import type { SinkErrorCode } from './sink.errors';

/**
 * Events of {@link CassandraSink} (`sink.events.on(name, listener)`). Payloads
 * are built only when someone listens. Durations are milliseconds.
 *
 * @example
 * ```ts
 * sink.events.on('sink.batch_written', (e) => rowsWritten.inc(e.rows));
 * sink.events.on('sink.write_failed', (e) => writeErrors.inc({ code: e.code, retriable: String(e.retriable) }));
 * ```
 */
export type SinkEvents = {
  /** A session was created. */
  'sink.connected': { contactPoints: string[]; localDataCenter: string; durationMs: number };
  /** The session was shut down by `close()`. */
  'sink.closed': Record<string, never>;
  /**
   * A `writeBatch` finished. `rows` counts records written to every target
   * table; `failed` counts records that were not (of which `retriableFailures`
   * may succeed later).
   */
  'sink.batch_written': {
    records: number;
    rows: number;
    failed: number;
    retriableFailures: number;
    durationMs: number;
    tables: string[];
    /** UNLOGGED batches sent (0 in single-row mode). */
    batches: number;
    /** Batches refused for good and written again record by record. */
    fallbacks: number;
  };
  /**
   * Cassandra acknowledged `records` records (every target table) of a running
   * `writeBatch`: one per request as it completes, so progress shows while a
   * large call is still running. Over a call they add up to its `rows`.
   */
  'sink.records_written': { records: number };
  /**
   * Cassandra refused a batch for good (e.g. `Batch too large`, or one bad
   * record in it); its records are being written one by one so that exactly
   * the bad ones fail. `indexes`: the records' positions in the `writeBatch` call.
   */
  'sink.batch_fallback': { records: number; indexes: number[]; code: SinkErrorCode; message: string };
  /** One record failed for good in this batch (after its retries, if retriable). */
  'sink.write_failed': { index: number; id: string; code: SinkErrorCode; retriable: boolean; message: string; attempts: number };
  /**
   * Per-record write latency within one batch (from the first attempt to the
   * last response, retries included): median, 99th percentile and maximum.
   */
  'sink.write_latency': { records: number; p50Ms: number; p99Ms: number; maxMs: number; batchDurationMs: number };
  /** A record's write failed retriably and will be tried again after `delayMs`. */
  'sink.retry': { index: number; id: string; attempt: number; delayMs: number; code: SinkErrorCode; error: string };
};
