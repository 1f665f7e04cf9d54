import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { types } from 'cassandra-driver';
import { AbortError, componentLogger, describeError, retry, TimeoutError, TypedEmitter, UserstreamError, type Logger } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { JobCatalog } from '../jobs/job.catalog';
import { PermanentJobError, retryDelayMs, type JobDefinition, type JobProgress } from '../jobs/job.definition';
import { describeSchedule, nextRunTime, type JobSchedule } from '../jobs/job.schedule';
import { WebhookNotifier } from '../notify/webhook.notifier';
import type { RowsWritten, RunRecord, RunState } from '../runs/run.model';
import { RunStore } from '../runs/run.store';

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

/** What the scheduler tells its listeners. */
export type SchedulerEvents = {
  /** A run reached success or failed. */
  'run.finished': { run: RunRecord };
};

interface ActiveTry {
  controller: AbortController;
  done: Promise<void>;
}

interface JobRuntime {
  def: JobDefinition<object>;
  paused: boolean;
  nextRunAt?: Date;
  /** The previous due time: interval schedules keep their grid from it. */
  anchor?: Date;
  active?: RunRecord;
  activeTry?: ActiveTry;
}

/** Node timers hold at most 2^31-1 ms; longer waits wake up early and re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Written on runs a restart or a shutdown interrupted. */
export const RESTART_ERROR = 'orchestrator restarted while the run was active';
export const SHUTDOWN_ERROR = 'orchestrator shut down while the run was active';

/** Options of the scheduler that tests shorten. */
export class SchedulerSettings {
  constructor(
    /** After a try is aborted (timeout, shutdown), how long its job may take to clean up (cancel the ingest run), in milliseconds. */
    readonly abortGraceMs = 15_000,
    /** On shutdown, how long to wait for failure webhooks in flight, in milliseconds. */
    readonly drainTimeoutMs = 5_000,
  ) {}
}

/**
 * Runs the jobs of the {@link JobCatalog}: arms a timer per job for its next
 * due time (through @nestjs/schedule's SchedulerRegistry), starts runs,
 * enforces the execution timeout, retries failed tries by the job's policy
 * (state `up_for_retry` in between) and records every change in the
 * {@link RunStore}.
 *
 * Rules, as in the reference Airflow DAG: at most one active run per job (a
 * due time while one is active is skipped), no catch-up (due times missed
 * while stopped or paused are not run later), pause/unpause persisted. A
 * manual trigger also runs while the job is paused: pausing stops the
 * schedule, not the operator.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly events = new TypedEmitter<SchedulerEvents>();
  private readonly logger: Logger;
  private readonly jobs = new Map<string, JobRuntime>();
  /** The last pending save of each run, so saves of one run land in order. */
  private readonly saving = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    catalog: JobCatalog,
    private readonly store: RunStore,
    private readonly registry: SchedulerRegistry,
    private readonly notifier: WebhookNotifier,
    private readonly context: OrchestratorContext,
    private readonly settings: SchedulerSettings,
  ) {
    this.logger = componentLogger(context.logger, 'scheduler');
    for (const def of catalog.all()) this.jobs.set(def.name, { def, paused: def.pausedByDefault });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /**
   * Loads the saved pause states, settles runs a crash left behind (queued or
   * running ones fail; up_for_retry ones keep their retry) and arms every
   * unpaused job for its next due time.
   */
  async start(): Promise<void> {
    for (const state of await this.store.jobStates()) {
      const job = this.jobs.get(state.job);
      if (job) job.paused = state.paused;
    }
    for (const run of await this.store.activeRuns()) await this.recover(run);
    for (const job of this.jobs.values()) if (!job.paused) this.armSchedule(job);
    this.logger.info({ jobs: this.listJobs().map((j) => ({ name: j.name, paused: j.paused, nextRunAt: j.nextRunAt })) }, 'scheduler started');
  }

  /** Stops the timers, aborts tries in flight (their runs fail) and waits for the failure webhooks, all bounded. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const name of this.registry.getTimeouts()) if (name.startsWith('schedule:') || name.startsWith('retry:')) this.registry.deleteTimeout(name);
    const inFlight: Array<Promise<void>> = [];
    for (const job of this.jobs.values()) {
      if (job.activeTry) {
        job.activeTry.controller.abort(new AbortError(SHUTDOWN_ERROR));
        inFlight.push(job.activeTry.done);
      }
    }
    await Promise.all(inFlight);
    await this.notifier.drain(this.settings.drainTimeoutMs);
  }

  /** Every job with its schedule, policy, pause state, next due time and active run. */
  listJobs(): JobView[] {
    return [...this.jobs.values()].map((job) => this.view(job));
  }

  getJob(name: string): JobView {
    return this.view(this.runtime(name));
  }

  /** Stops scheduling the job (saved, so it survives restarts). Runs already active go on. */
  async pause(name: string): Promise<JobView> {
    const job = this.runtime(name);
    await this.store.saveJobState({ job: name, paused: true, updatedAt: new Date().toISOString() });
    job.paused = true;
    this.disarmSchedule(job);
    this.logger.info({ job: name }, 'job paused');
    return this.view(job);
  }

  /** Resumes scheduling from the next due time; due times missed while paused are not run (no catch-up). */
  async unpause(name: string): Promise<JobView> {
    const job = this.runtime(name);
    await this.store.saveJobState({ job: name, paused: false, updatedAt: new Date().toISOString() });
    job.paused = false;
    job.anchor = undefined;
    if (!this.stopping) this.armSchedule(job);
    this.logger.info({ job: name, nextRunAt: job.nextRunAt?.toISOString() }, 'job unpaused');
    return this.view(job);
  }

  /**
   * Starts a run now with `input` merged over the job's default parameters.
   * Throws {@link JobNotFoundError}, ParamsError (bad parameters) or
   * {@link RunConflictError} (a run is active). Resolves with the queued run
   * once it is saved; the run goes on in the background.
   */
  async trigger(name: string, input?: unknown): Promise<RunRecord> {
    const job = this.runtime(name);
    const params = job.def.resolveParams(input);
    if (this.stopping) throw new UserstreamError('the orchestrator is shutting down', { code: 'SHUTTING_DOWN', retriable: true });
    if (job.active) throw new RunConflictError(name, job.active.id, job.active.state);
    return this.startRun(job, params, 'manual');
  }

  /**
   * The scheduled tick of a job: starts a run unless the job is paused or
   * still has an active run (then the due time is skipped). Resolves with the
   * new run, or `undefined` when skipped. The timers call it; tests may too.
   */
  async fire(name: string, dueAt = new Date()): Promise<RunRecord | undefined> {
    const job = this.runtime(name);
    if (job.paused || this.stopping) return undefined;
    if (job.active) {
      this.logger.warn({ job: name, dueAt: dueAt.toISOString(), activeRunId: job.active.id }, 'due time skipped: the previous run is still active');
      this.context.metrics.skippedTotal.inc({ job: name, reason: 'active_run' });
      return undefined;
    }
    try {
      return await this.startRun(job, job.def.resolveParams(undefined), 'scheduled', dueAt);
    } catch (error) {
      this.logger.error({ job: name, err: describeError(error) }, 'could not start a scheduled run');
      return undefined;
    }
  }

  /** Resolves when the job's current try (if any) has ended; for tests and shutdown. */
  async settled(name: string): Promise<void> {
    await this.runtime(name).activeTry?.done;
  }

  private runtime(name: string): JobRuntime {
    const job = this.jobs.get(name);
    if (!job) throw new JobNotFoundError(name);
    return job;
  }

  private view(job: JobRuntime): JobView {
    const { def } = job;
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
      ...(job.active
        ? { activeRun: { id: job.active.id, state: job.active.state, tryNumber: job.active.tryNumber, ...(job.active.nextTryAt ? { nextTryAt: job.active.nextTryAt } : {}) } }
        : {}),
    };
  }

  // --- timers ---------------------------------------------------------------

  private armSchedule(job: JobRuntime): void {
    this.disarmSchedule(job);
    const next = nextRunTime(job.def.schedule, new Date(), job.anchor);
    job.nextRunAt = next;
    if (!next) return;
    this.setTimer(`schedule:${job.def.name}`, next, () => {
      job.anchor = next;
      this.armSchedule(job);
      void this.fire(job.def.name, next);
    });
  }

  private disarmSchedule(job: JobRuntime): void {
    const name = `schedule:${job.def.name}`;
    if (this.registry.doesExist('timeout', name)) this.registry.deleteTimeout(name);
    job.nextRunAt = undefined;
  }

  /** Calls `action` at `at`, waking up early and re-arming when `at` is beyond what one Node timer can wait. */
  private setTimer(name: string, at: Date, action: () => void): void {
    if (this.registry.doesExist('timeout', name)) this.registry.deleteTimeout(name);
    const delay = Math.max(0, at.getTime() - Date.now());
    const timer = setTimeout(() => {
      this.registry.deleteTimeout(name);
      if (Date.now() < at.getTime()) this.setTimer(name, at, action);
      else action();
    }, Math.min(delay, MAX_TIMER_MS));
    this.registry.addTimeout(name, timer);
  }

  // --- runs -----------------------------------------------------------------

  private async startRun(job: JobRuntime, params: object, trigger: RunRecord['trigger'], scheduledFor?: Date): Promise<RunRecord> {
    const run: RunRecord = {
      id: types.TimeUuid.now().toString(),
      job: job.def.name,
      trigger,
      state: 'queued',
      tryNumber: 0,
      maxTries: job.def.retries + 1,
      params: params as Record<string, unknown>,
      ...(scheduledFor ? { scheduledFor: scheduledFor.toISOString() } : {}),
      queuedAt: new Date().toISOString(),
      rowsWritten: { state: 'unknown', value: null },
      tries: [],
    };
    // The first save must succeed: a run that is not in the history must not run.
    await this.store.saveRun(run);
    job.active = run;
    this.context.metrics.activeRuns.set({ job: job.def.name }, 1);
    this.logger.info({ job: run.job, runId: run.id, trigger, params }, 'run queued');
    const copy = structuredClone(run);
    this.startTry(job, run);
    return copy;
  }

  private startTry(job: JobRuntime, run: RunRecord): void {
    const controller = new AbortController();
    const done = this.runTry(job, run, controller).finally(() => {
      if (job.activeTry?.controller === controller) job.activeTry = undefined;
    });
    job.activeTry = { controller, done };
  }

  private async runTry(job: JobRuntime, run: RunRecord, controller: AbortController): Promise<void> {
    const { def } = job;
    const startedAt = new Date().toISOString();
    run.tryNumber += 1;
    run.state = 'running';
    run.startedAt ??= startedAt;
    delete run.nextTryAt;
    delete run.error;
    // The run shows the current try's ingest run; earlier tries keep theirs in `tries`.
    delete run.ingestRunId;
    delete run.counts;
    delete run.cursor;
    delete run.offsets;
    run.tries.push({ tryNumber: run.tryNumber, state: 'running', startedAt });
    const logger = this.logger.child({ job: run.job, runId: run.id, tryNumber: run.tryNumber });
    logger.info({ maxTries: run.maxTries }, 'try started');
    await this.save(run);

    let ended = false;
    const timeout = setTimeout(
      () => controller.abort(new TimeoutError(`try ${run.tryNumber} ran past the execution timeout of ${def.executionTimeoutMs} ms`)),
      def.executionTimeoutMs,
    );
    let result: { ok: true; progress: JobProgress } | { ok: false; error: unknown };
    try {
      // Through a promise, so a job that throws synchronously fails its try like any other.
      const execution = Promise.resolve().then(() =>
        def.execute({
          runId: run.id,
          tryNumber: run.tryNumber,
          params: run.params,
          signal: controller.signal,
          logger,
          progress: (update) => {
            if (ended) return;
            Object.assign(run, update);
            if (update.ingestRunId) run.tries[run.tries.length - 1].ingestRunId = update.ingestRunId;
            void this.save(run);
          },
        }),
      );
      result = await this.settleWithin(execution, controller.signal);
    } finally {
      clearTimeout(timeout);
      ended = true;
    }

    const current = run.tries[run.tries.length - 1];
    current.endedAt = new Date().toISOString();
    if (result.ok) Object.assign(run, result.progress);
    if (run.ingestRunId) current.ingestRunId = run.ingestRunId;
    if (run.counts) current.counts = run.counts;
    if (result.ok) {
      current.state = 'success';
      this.context.metrics.triesTotal.inc({ job: run.job, outcome: 'success' });
      await this.finish(job, run, 'success');
      return;
    }

    // An aborted try fails with the reason of the abort (timeout, shutdown), not the job's echo of it.
    const error = controller.signal.aborted ? controller.signal.reason : result.error;
    const message = describeError(error);
    current.state = 'failed';
    current.error = message;
    run.error = message;
    const timedOut = error instanceof TimeoutError && controller.signal.aborted;
    this.context.metrics.triesTotal.inc({ job: run.job, outcome: timedOut ? 'timeout' : 'failed' });
    const shuttingDown = error instanceof AbortError || this.stopping;
    const permanent = error instanceof PermanentJobError;
    if (!shuttingDown && !permanent && run.tryNumber < run.maxTries) {
      const delay = retryDelayMs(def, run.tryNumber);
      const at = new Date(Date.now() + delay);
      run.state = 'up_for_retry';
      run.nextTryAt = at.toISOString();
      logger.warn({ err: message, retryInMs: delay, nextTryAt: run.nextTryAt }, 'try failed, up for retry');
      await this.save(run);
      this.armRetry(job, run, at);
      return;
    }
    logger.error({ err: message, permanent }, 'try failed, no tries left');
    await this.finish(job, run, 'failed');
  }

  private armRetry(job: JobRuntime, run: RunRecord, at: Date): void {
    this.setTimer(`retry:${run.id}`, at, () => {
      if (this.stopping || job.active !== run) return;
      this.startTry(job, run);
    });
  }

  private async finish(job: JobRuntime, run: RunRecord, state: 'success' | 'failed'): Promise<void> {
    run.state = state;
    run.endedAt = new Date().toISOString();
    delete run.nextTryAt;
    if (state === 'success') {
      delete run.error;
      run.rowsWritten = initialRowsWritten(run);
    }
    await this.save(run);
    if (job.active === run) job.active = undefined;
    const { metrics } = this.context;
    metrics.activeRuns.set({ job: run.job }, 0);
    metrics.runsTotal.inc({ job: run.job, state });
    if (run.startedAt) metrics.runDuration.observe({ job: run.job, state }, (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000);
    if (state === 'success' && run.counts) metrics.recordsAcknowledged.inc({ job: run.job }, run.counts.acknowledged);
    this.logger.info({ job: run.job, runId: run.id, state, tries: run.tryNumber, counts: run.counts, error: run.error }, 'run finished');
    if (state === 'failed') this.notifier.notifyRunFailed(structuredClone(run));
    this.events.emit('run.finished', { run: structuredClone(run) });
  }

  /** A run a crash left behind, found at start-up. */
  private async recover(run: RunRecord): Promise<void> {
    const job = this.jobs.get(run.job);
    if (job && run.state === 'up_for_retry' && run.tryNumber < run.maxTries) {
      // The failed try is over; only its retry was pending. Keep it.
      job.active = run;
      this.context.metrics.activeRuns.set({ job: run.job }, 1);
      const at = new Date(Math.max(Date.now(), Date.parse(run.nextTryAt ?? '') || 0));
      this.logger.info({ job: run.job, runId: run.id, nextTryAt: at.toISOString() }, 'resuming the retry of a run');
      this.armRetry(job, run, at);
      return;
    }
    const now = new Date().toISOString();
    const last = run.tries[run.tries.length - 1];
    if (last && last.state === 'running') {
      last.state = 'failed';
      last.endedAt = now;
      last.error = RESTART_ERROR;
    }
    run.error = job ? RESTART_ERROR : `${RESTART_ERROR}, and job "${run.job}" is no longer defined`;
    this.logger.warn({ job: run.job, runId: run.id, state: run.state, ingestRunId: run.ingestRunId }, 'marking a run the previous process left active as failed');
    const abandon = job?.def.abandon;
    let abandoned: Promise<unknown> = Promise.resolve();
    if (abandon && run.ingestRunId) {
      // In the background: start-up does not wait for another app.
      const ingestRunId = run.ingestRunId;
      abandoned = abandon.call(job.def, { ingestRunId }, this.logger).catch((error: unknown) =>
        this.logger.warn({ runId: run.id, ingestRunId, err: describeError(error) }, 'could not stop the work of an interrupted run'),
      );
    }
    if (job && last?.error === RESTART_ERROR && run.tryNumber < run.maxTries) {
      // The crash failed the try, not the run: like any failed try, it is retried after the delay.
      const delay = retryDelayMs(job.def, run.tryNumber);
      const at = new Date(Date.now() + delay);
      run.state = 'up_for_retry';
      run.nextTryAt = at.toISOString();
      job.active = run;
      this.context.metrics.activeRuns.set({ job: run.job }, 1);
      this.logger.warn({ job: run.job, runId: run.id, nextTryAt: run.nextTryAt }, 'the interrupted try failed; the run is up for retry');
      await this.save(run);
      // The retry never overlaps the interrupted work: it waits until that was told to stop.
      void abandoned.then(() => this.armRetry(job, run, at));
      return;
    }
    if (job) await this.finish(job, run, 'failed');
    else {
      run.state = 'failed';
      run.endedAt = now;
      await this.save(run);
      this.notifier.notifyRunFailed(structuredClone(run));
    }
  }

  /**
   * Saves the run's current state. Saves of one run are chained so they land
   * in order; failures are retried briefly, then logged (the run goes on).
   */
  private save(run: RunRecord): Promise<void> {
    const snapshot = structuredClone(run);
    const previous = this.saving.get(run.id) ?? Promise.resolve();
    const next = previous.then(() =>
      retry(() => this.store.saveRun(snapshot), { maxAttempts: 3, initialDelayMs: 200 }).catch((error: unknown) => {
        this.logger.error({ runId: run.id, state: run.state, err: describeError(error) }, 'could not save the run');
      }),
    );
    this.saving.set(run.id, next);
    void next.then(() => {
      if (this.saving.get(run.id) === next) this.saving.delete(run.id);
    });
    return next;
  }

  /**
   * Waits for the job's promise; once `signal` aborts, waits at most
   * `abortGraceMs` more for the job to clean up, so a job that ignores its
   * signal cannot hold a run past its timeout.
   */
  private async settleWithin(execution: Promise<JobProgress>, signal: AbortSignal): Promise<{ ok: true; progress: JobProgress } | { ok: false; error: unknown }> {
    const outcome = execution.then(
      (progress) => ({ ok: true as const, progress }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const graceOver = new Promise<{ ok: false; error: unknown }>((resolve) => {
      onAbort = () => {
        timer = setTimeout(() => resolve({ ok: false, error: signal.reason }), this.settings.abortGraceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([outcome, graceOver]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}

function initialRowsWritten(run: RunRecord): RowsWritten {
  const acknowledged = run.counts?.acknowledged;
  if (acknowledged === 0) return { state: 'known', value: 0 };
  if (!run.offsets || run.offsets.partitions.length === 0) return { state: 'unknown', value: null, reason: 'ingest reported no offsets for the run' };
  return { state: 'pending', value: null, reason: 'waiting for the stream-processor to commit past the run' };
}
