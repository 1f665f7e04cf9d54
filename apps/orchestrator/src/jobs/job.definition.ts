import { backoffDelay, UserstreamError, type Logger } from '@userstream/core';
import type { RunLogNote } from '../runs/run-log';
import type { RunCounts, RunCursor, RunOffsets } from '../runs/run.model';
import type { JobSchedule } from './job.schedule';

/** How a job retries a failed try (Airflow's retries / retry_delay / retry_exponential_backoff / max_retry_delay). */
export interface RetryPolicy {
  /** Extra tries after the first one fails. */
  retries: number;
  /** Delay before the first retry, in milliseconds. */
  retryDelayMs: number;
  /** Double the delay for every further retry. */
  exponentialBackoff: boolean;
  /** Upper bound for any retry delay, in milliseconds. */
  maxRetryDelayMs: number;
}

/** What a job reports while it runs and when it ends; saved on the run. */
export interface JobProgress {
  /** The id of the ingest run this try started. */
  ingestRunId?: string;
  counts?: RunCounts;
  cursor?: RunCursor;
  offsets?: RunOffsets;
}

/** Handed to a job's `execute` for one try. */
export interface JobContext<P> {
  runId: string;
  tryNumber: number;
  params: P;
  /** Aborted when the try runs past its execution timeout or the orchestrator shuts down. */
  signal: AbortSignal;
  logger: Logger;
  /** Records progress on the run (saved to the history, shown on the dashboard). */
  progress(update: JobProgress): void;
  /** Adds a notable event to the run's log (shown under the run); a note with a key already used in this try replaces it. */
  note?(note: RunLogNote): void;
}

/**
 * A job defined in code: what it runs, when, and how it retries. The
 * orchestrator allows at most one active run per job (a due time while a run
 * is active is skipped) and never catches up on due times missed while it
 * was stopped or the job was paused.
 */
export interface JobDefinition<P extends object = Record<string, unknown>> extends RetryPolicy {
  name: string;
  description: string;
  schedule: JobSchedule;
  /** Default parameters; a trigger may override some of them. */
  params: P;
  /** Upper bound for one try, in milliseconds; on expiry the try is aborted and fails. */
  executionTimeoutMs: number;
  /** Always 1: runs of one job never overlap. */
  maxActiveRuns: 1;
  /** Always false: due times missed while stopped or paused are not run later. */
  catchup: false;
  /** Paused state when none has been saved yet. */
  pausedByDefault: boolean;
  /**
   * Checks trigger parameters and merges them over the defaults. Throws
   * {@link ParamsError} with the reason when they are not acceptable.
   */
  resolveParams(input: unknown): P;
  /** One try. Resolves with the final progress on success; throws on failure. */
  execute(context: JobContext<P>): Promise<JobProgress>;
  /**
   * Stops work a try left behind when the orchestrator died under it (found
   * at the next start), e.g. cancels the ingest run. Best effort: failures
   * are logged, never retried.
   */
  abandon?(progress: JobProgress, logger: Logger): Promise<void>;
}

/** Trigger parameters that a job refuses; the message says why (HTTP 400). */
export class ParamsError extends UserstreamError {
  constructor(message: string) {
    super(message, { code: 'INVALID_PARAMS', retriable: false });
  }
}

/**
 * A failure a retry cannot fix (e.g. ingest rejected the parameters): the
 * run fails at once, whatever tries are left.
 */
export class PermanentJobError extends UserstreamError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { code: 'JOB_FAILED_PERMANENTLY', retriable: false, ...options });
  }
}

/**
 * The delay before retry number `retry` (1 = the first retry, after try 1
 * failed): `retryDelayMs`, doubled per further retry when the backoff is
 * exponential, never above `maxRetryDelayMs`. With the reference policy
 * (2 min, exponential, max 10 min) the delays are 2, 4, 8, 10, 10… min.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  if (!policy.exponentialBackoff) return Math.min(policy.retryDelayMs, policy.maxRetryDelayMs);
  return backoffDelay(retry, { initialDelayMs: policy.retryDelayMs, maxDelayMs: policy.maxRetryDelayMs, factor: 2, jitter: 'none' });
}
