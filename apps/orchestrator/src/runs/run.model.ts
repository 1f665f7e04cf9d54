import type { RunCounts as IngestRunCounts, RunCursor, RunOffsets } from '@userstream/ingest-contract';
import type { RunLogEntry } from './run-log';

/** Where a run is in its life (Airflow's task-instance states, narrowed). */
export type RunState = 'queued' | 'running' | 'success' | 'failed' | 'up_for_retry';

/** States from which a run still moves on; a job has at most one run in them. */
export const ACTIVE_STATES: readonly RunState[] = ['queued', 'running', 'up_for_retry'];

/**
 * Counts reported by the ingest run (the contract's), with `discarded`
 * optional: runs recorded before ingest counted discarded users lack it.
 */
export type RunCounts = Omit<IngestRunCounts, 'discarded'> & Partial<Pick<IngestRunCounts, 'discarded'>>;

/** The ingest run's seed/page cursor and the Kafka offsets it produced, as the ingest contract defines them. */
export type { RunCursor, RunOffsets };

/**
 * Rows the stream-processor wrote for the run. `known` once the processor's
 * consumer group has committed past the run's last offset on every
 * partition (every record was then written, or dead-lettered, so
 * `value` = acknowledged); `pending` while waiting for that; `unknown` when
 * it cannot be told (no offsets reported, or the processor did not get there
 * within the confirmation window).
 */
export interface RowsWritten {
  state: 'pending' | 'known' | 'unknown';
  value: number | null;
  reason?: string;
}

/** One try of a run. */
export interface RunTry {
  tryNumber: number;
  state: 'running' | 'success' | 'failed';
  startedAt: string;
  endedAt?: string;
  ingestRunId?: string;
  /** The ingest counts of this try when it ended. */
  counts?: RunCounts;
  error?: string;
}

/** One run of a job, as kept in the history and served by the API. */
export interface RunRecord {
  /** A time-based UUID: runs sort by creation time. */
  id: string;
  job: string;
  trigger: 'scheduled' | 'manual';
  state: RunState;
  /** The current (or last) try, 1-based; 0 while queued. */
  tryNumber: number;
  /** 1 + the job's retries at the time the run was created. */
  maxTries: number;
  params: Record<string, unknown>;
  /** The due time for a scheduled run (ISO-8601). */
  scheduledFor?: string;
  queuedAt: string;
  startedAt?: string;
  endedAt?: string;
  /** When the next try starts, while up_for_retry. */
  nextTryAt?: string;
  ingestRunId?: string;
  counts?: RunCounts;
  cursor?: RunCursor;
  offsets?: RunOffsets;
  rowsWritten: RowsWritten;
  error?: string;
  tries: RunTry[];
  /** Notable events (tries, pages, retries and why, Kafka waits, failures), bounded; see run-log.ts. */
  log?: RunLogEntry[];
}

/** A page of runs, newest first. */
export interface RunPage {
  runs: RunRecord[];
  /** Pass back as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

/** The saved state of a job (what survives restarts besides its runs). */
export interface JobState {
  job: string;
  paused: boolean;
  updatedAt: string;
}

/** Whether the run is in a final state. */
export function isFinal(state: RunState): boolean {
  return state === 'success' || state === 'failed';
}
