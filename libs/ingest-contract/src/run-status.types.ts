import type { RunParams } from './run-params.types';

/** Where an ingest run is in its life. Every state but `running` is final. */
export type RunState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a run has done so far. */
export interface RunCounts {
  /** API pages received. */
  pagesFetched: number;
  /** Users received from the API. Always `valid + invalid + discarded`. */
  fetched: number;
  /** Users that mapped to a valid record. */
  valid: number;
  /** Users the API sent broken (counted, logged, never produced). */
  invalid: number;
  /**
   * Users received but never checked: pages fetched ahead, or the rest of a
   * page, when the run stopped (bound, cancel or failure) before reaching them.
   */
  discarded: number;
  /** Records handed to the Kafka producer. */
  produced: number;
  /** Records the broker acknowledged (acks=all). */
  acknowledged: number;
}

/**
 * The seed/page cursor. `startPage`..`nextPage - 1` are the pages the run
 * used (a page cut short by a duration bound or a cancel counts as used); a
 * later run from `nextPage` with the same seed never repeats one of its users.
 */
export interface RunCursor {
  seed: string;
  startPage: number;
  nextPage: number;
}

/** Kafka offsets holding the run's records: first and last offset per partition, inclusive. */
export interface RunOffsets {
  topic: string;
  partitions: Array<{ partition: number; first: number; last: number }>;
}

/** One kind of problem a run met, with how often. */
export interface RunErrorEntry {
  code: string;
  message: string;
  count: number;
}

/** The state of a run, as `GET /runs/:id` (and `POST /runs`, `DELETE /runs/:id`) serve it. */
export interface RunStatus {
  id: string;
  state: RunState;
  params: RunParams;
  /** ISO-8601. */
  startedAt: string;
  /** ISO-8601, once the run is over. */
  endedAt?: string;
  counts: RunCounts;
  cursor: RunCursor;
  offsets?: RunOffsets;
  errors: RunErrorEntry[];
  /** Why the run failed or was cancelled. */
  error?: string;
  /**
   * Present while the run waits for Kafka: a produce request has gone
   * unanswered for seconds and is being retried (a broker restart, say). The
   * run fails if Kafka stays away longer than KAFKA_OUTAGE_TIMEOUT_MS.
   */
  waiting?: { for: 'kafka'; since: string; reason: string };
}

/** Whether `value` looks like a {@link RunStatus} (the fields a client relies on). */
export function isRunStatus(value: unknown): value is RunStatus {
  const v = value as Partial<RunStatus> | null | undefined;
  return typeof v?.id === 'string' && typeof v.state === 'string' && typeof v.counts === 'object' && v.counts !== null;
}
