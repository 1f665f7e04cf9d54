import type { JobState, RunPage, RunRecord } from './run.model';

/** How to page through the history. */
export interface ListRunsQuery {
  /** Only runs of this job. */
  job?: string;
  /** Runs per page (1-100). */
  limit: number;
  /** The `nextPageToken` of the previous page. */
  pageToken?: string;
}

/**
 * The run history and the saved job states. The scheduler writes a run's
 * whole record at every change (idempotent upserts), so a crash between two
 * writes leaves the last complete state.
 */
export abstract class RunStore {
  /** Creates what the store needs (idempotent) and connects. */
  abstract init(): Promise<void>;
  /** Inserts or replaces the run. */
  abstract saveRun(run: RunRecord): Promise<void>;
  abstract getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first. Throws ParamsError for a page token it did not issue. */
  abstract listRuns(query: ListRunsQuery): Promise<RunPage>;
  /** Runs in queued, running or up_for_retry state. */
  abstract activeRuns(): Promise<RunRecord[]>;
  abstract jobStates(): Promise<JobState[]>;
  abstract saveJobState(state: JobState): Promise<void>;
  /** Resolves when the store answers; for /health/ready. */
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
}
