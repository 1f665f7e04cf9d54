import { UserstreamError } from '@userstream/core';
import type { RunState } from '../runs/run.model';

/** The job does not exist (HTTP 404). */
export class JobNotFoundError extends UserstreamError {
  constructor(name: string) {
    super(`no job named "${name}"`, { code: 'JOB_NOT_FOUND' });
  }
}

/** The job already has an active run and runs never overlap (HTTP 409). */
export class RunConflictError extends UserstreamError {
  constructor(job: string, runId: string, state: RunState) {
    super(`job "${job}" already has an active run (${runId}, ${state}); runs of one job never overlap`, { code: 'RUN_ACTIVE', details: { runId } });
  }
}

/** The orchestrator is stopping and takes no new run (HTTP 503). */
export class ShuttingDownError extends UserstreamError {
  constructor() {
    super('the orchestrator is shutting down', { code: 'SHUTTING_DOWN', retriable: true });
  }
}

/** Written on runs a restart or a shutdown interrupted. */
export const RESTART_ERROR = 'orchestrator restarted while the run was active';
export const SHUTDOWN_ERROR = 'orchestrator shut down while the run was active';
