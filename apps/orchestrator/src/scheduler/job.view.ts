import type { JobDefinition } from '../jobs/job.definition';
import { describeSchedule, type JobSchedule } from '../jobs/job.schedule';
import type { RunRecord, RunState } from '../runs/run.model';

/** A job as the API and the dashboard show it. */
export interface JobView {
  name: string;
  description: string;
  schedule: JobSchedule;
  scheduleText: string;
  params: object;
  policy: {
    retries: number;
    retryDelayMs: number;
    exponentialBackoff: boolean;
    maxRetryDelayMs: number;
    executionTimeoutMs: number;
    maxActiveRuns: 1;
    catchup: false;
  };
  paused: boolean;
  /** The next due time (ISO-8601); absent while paused. */
  nextRunAt?: string;
  activeRun?: { id: string; state: RunState; tryNumber: number; nextTryAt?: string };
}

/** The try of a run in flight. */
export interface ActiveTry {
  controller: AbortController;
  done: Promise<void>;
}

/** What the scheduler knows of a job while it runs. */
export interface JobRuntime {
  def: JobDefinition<object>;
  paused: boolean;
  nextRunAt?: Date;
  /** The previous due time: interval schedules keep their grid from it. */
  anchor?: Date;
  active?: RunRecord;
  activeTry?: ActiveTry;
}

/** The API's view of a job. */
export function toJobView(job: JobRuntime): JobView {
  const { def, active } = job;
  return {
    name: def.name,
    description: def.description,
    schedule: def.schedule,
    scheduleText: describeSchedule(def.schedule),
    params: def.params,
    policy: {
      retries: def.retries,
      retryDelayMs: def.retryDelayMs,
      exponentialBackoff: def.exponentialBackoff,
      maxRetryDelayMs: def.maxRetryDelayMs,
      executionTimeoutMs: def.executionTimeoutMs,
      maxActiveRuns: def.maxActiveRuns,
      catchup: def.catchup,
    },
    paused: job.paused,
    ...(job.nextRunAt && !job.paused ? { nextRunAt: job.nextRunAt.toISOString() } : {}),
    ...(active
      ? { activeRun: { id: active.id, state: active.state, tryNumber: active.tryNumber, ...(active.nextTryAt ? { nextTryAt: active.nextTryAt } : {}) } }
      : {}),
  };
}
