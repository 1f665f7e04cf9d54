import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { types } from 'cassandra-driver';
import { AbortError, componentLogger, describeError, type Logger } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { JobCatalog } from '../jobs/job.catalog';
import { retryDelayMs } from '../jobs/job.definition';
import { WebhookNotifier } from '../notify/webhook.notifier';
import type { RunRecord } from '../runs/run.model';
import { RunStore } from '../runs/run.store';
import { toJobView, type JobRuntime, type JobView } from './job.view';
import { RunExecutor, type TryOutcome } from './run.executor';
import { RunRecorder } from './run.recorder';
import { JobNotFoundError, RESTART_ERROR, RunConflictError, SHUTDOWN_ERROR, ShuttingDownError } from './scheduler.errors';
import { SchedulerTimers } from './scheduler.timers';

export { JobNotFoundError, RESTART_ERROR, RunConflictError, SHUTDOWN_ERROR } from './scheduler.errors';
export type { JobView } from './job.view';
export type { SchedulerEvents } from './run.recorder';

/** Options of the scheduler that tests shorten. */
export class SchedulerSettings {
  constructor(
    /** After a try is aborted (timeout, shutdown), how long its job may take to clean up (cancel the ingest run), in milliseconds. */
    readonly abortGraceMs = 15_000,
    /** On shutdown, how long to wait for failure webhooks in flight, in milliseconds. */
    readonly drainTimeoutMs = 5_000,
  ) {}
}

const scheduleTimer = (job: string) => `schedule:${job}`;
const retryTimer = (runId: string) => `retry:${runId}`;

/**
 * Runs the jobs of the {@link JobCatalog}: arms a timer per job for its next
 * due time ({@link SchedulerTimers}: `cron` jobs in @nestjs/schedule's
 * SchedulerRegistry), starts runs, has each try executed
 * ({@link RunExecutor}), retries failed tries by the job's policy (state
 * `up_for_retry` in between) and records every change ({@link RunRecorder}).
 *
 * Rules, as in the reference Airflow DAG: at most one active run per job (a
 * due time while one is active is skipped), no catch-up (due times missed
 * while stopped or paused are not run later), pause/unpause persisted. A
 * manual trigger also runs while the job is paused: pausing stops the
 * schedule, not the operator.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly jobs = new Map<string, JobRuntime>();
  private readonly timers: SchedulerTimers;
  private readonly recorder: RunRecorder;
  private readonly executor: RunExecutor;
  private stopping = false;

  constructor(
    catalog: JobCatalog,
    private readonly store: RunStore,
    registry: SchedulerRegistry,
    private readonly notifier: WebhookNotifier,
    private readonly context: OrchestratorContext,
    private readonly settings: SchedulerSettings,
  ) {
    this.logger = componentLogger(context.logger, 'scheduler');
    this.timers = new SchedulerTimers(registry);
    this.recorder = new RunRecorder(store, context.metrics, notifier, this.logger);
    this.executor = new RunExecutor(this.recorder, context.metrics, this.logger, settings.abortGraceMs, () => this.stopping);
    for (const def of catalog.all()) this.jobs.set(def.name, { def, paused: def.pausedByDefault });
  }

  /** `run.finished` when a run reaches success or failed. */
  get events(): RunRecorder['events'] {
    return this.recorder.events;
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
    this.timers.cancelAll();
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
    return [...this.jobs.values()].map(toJobView);
  }

  getJob(name: string): JobView {
    return toJobView(this.runtime(name));
  }

  /** Stops scheduling the job (saved, so it survives restarts). Runs already active go on. */
  async pause(name: string): Promise<JobView> {
    const job = this.runtime(name);
    await this.store.saveJobState({ job: name, paused: true, updatedAt: new Date().toISOString() });
    job.paused = true;
    this.disarmSchedule(job);
    this.logger.info({ job: name }, 'job paused');
    return toJobView(job);
  }

  /** Resumes scheduling from the next due time; due times missed while paused are not run (no catch-up). */
  async unpause(name: string): Promise<JobView> {
    const job = this.runtime(name);
    await this.store.saveJobState({ job: name, paused: false, updatedAt: new Date().toISOString() });
    job.paused = false;
    job.anchor = undefined;
    if (!this.stopping) this.armSchedule(job);
    this.logger.info({ job: name, nextRunAt: job.nextRunAt?.toISOString() }, 'job unpaused');
    return toJobView(job);
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
    if (this.stopping) throw new ShuttingDownError();
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

  // --- timers ---------------------------------------------------------------

  private armSchedule(job: JobRuntime): void {
    job.nextRunAt = this.timers.repeat(scheduleTimer(job.def.name), job.def.schedule, job.anchor, (dueAt, next) => {
      job.anchor = dueAt;
      job.nextRunAt = next;
      void this.fire(job.def.name, dueAt);
    });
  }

  private disarmSchedule(job: JobRuntime): void {
    this.timers.cancel(scheduleTimer(job.def.name));
    job.nextRunAt = undefined;
  }

  private armRetry(job: JobRuntime, run: RunRecord, at: Date): void {
    this.timers.once(retryTimer(run.id), at, () => {
      if (this.stopping || job.active !== run) return;
      this.startTry(job, run);
    });
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
    this.recorder.note(run, { level: 'info', message: scheduledFor ? `queued for the due time ${scheduledFor.toISOString()}` : 'queued by a manual trigger' });
    // The first save must succeed: a run that is not in the history must not run.
    await this.recorder.create(run);
    job.active = run;
    this.context.metrics.activeRuns.set({ job: job.def.name }, 1);
    this.logger.info({ job: run.job, runId: run.id, trigger, params }, 'run queued');
    const copy = structuredClone(run);
    this.startTry(job, run);
    return copy;
  }

  private startTry(job: JobRuntime, run: RunRecord): void {
    const controller = new AbortController();
    const done = this.executor
      .runTry(job.def, run, controller)
      .then((outcome) => this.afterTry(job, run, outcome))
      .finally(() => {
        if (job.activeTry?.controller === controller) job.activeTry = undefined;
      });
    job.activeTry = { controller, done };
  }

  /** The policy after a try: success ends the run; a failure is retried after the backoff while tries are left, unless permanent or shutting down. */
  private async afterTry(job: JobRuntime, run: RunRecord, outcome: TryOutcome): Promise<void> {
    if (outcome.ok) return this.finish(job, run, 'success');
    const { logger, message, permanent, shuttingDown } = outcome;
    if (!shuttingDown && !permanent && run.tryNumber < run.maxTries) {
      const delay = retryDelayMs(job.def, run.tryNumber);
      const at = new Date(Date.now() + delay);
      run.state = 'up_for_retry';
      run.nextTryAt = at.toISOString();
      logger.warn({ err: message, retryInMs: delay, nextTryAt: run.nextTryAt }, 'try failed, up for retry');
      this.recorder.note(
        run,
        { level: 'warn', message: `try ${run.tryNumber} failed: ${message}; try ${run.tryNumber + 1} of ${run.maxTries} at ${run.nextTryAt}` },
        run.tryNumber,
      );
      await this.recorder.save(run);
      this.armRetry(job, run, at);
      return;
    }
    logger.error({ err: message, permanent }, 'try failed, no tries left');
    const why = shuttingDown ? 'no retry after a shutdown' : permanent ? 'a retry cannot fix this' : 'no tries left';
    this.recorder.note(run, { level: 'error', message: `try ${run.tryNumber} failed: ${message}; ${why}` }, run.tryNumber);
    await this.finish(job, run, 'failed');
  }

  private async finish(job: JobRuntime, run: RunRecord, state: 'success' | 'failed'): Promise<void> {
    await this.recorder.end(run, state);
    if (job.active === run) job.active = undefined;
    this.recorder.announce(run);
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
      this.recorder.note(run, { level: 'info', message: `orchestrator restarted; the retry planned for ${at.toISOString()} is kept` });
      void this.recorder.save(run);
      this.armRetry(job, run, at);
      return;
    }
    const now = new Date().toISOString();
    const last = run.tries[run.tries.length - 1];
    if (last && last.state === 'running') {
      last.state = 'failed';
      last.endedAt = now;
      last.error = RESTART_ERROR;
      this.recorder.note(run, { level: 'warn', message: `try ${last.tryNumber} was interrupted: ${RESTART_ERROR}` }, last.tryNumber);
    } else {
      this.recorder.note(run, { level: 'warn', message: `${RESTART_ERROR} (${run.state}, no try in flight)` });
    }
    run.error = job ? RESTART_ERROR : `${RESTART_ERROR}, and job "${run.job}" is no longer defined`;
    this.logger.warn(
      { job: run.job, runId: run.id, state: run.state, ingestRunId: run.ingestRunId },
      'marking a run the previous process left active as failed',
    );
    const abandoned = this.abandon(job, run);
    if (job && last?.error === RESTART_ERROR && run.tryNumber < run.maxTries) {
      // The crash failed the try, not the run: like any failed try, it is retried after the delay.
      const delay = retryDelayMs(job.def, run.tryNumber);
      const at = new Date(Date.now() + delay);
      run.state = 'up_for_retry';
      run.nextTryAt = at.toISOString();
      job.active = run;
      this.context.metrics.activeRuns.set({ job: run.job }, 1);
      this.logger.warn({ job: run.job, runId: run.id, nextTryAt: run.nextTryAt }, 'the interrupted try failed; the run is up for retry');
      const message = `try ${run.tryNumber + 1} of ${run.maxTries} at ${run.nextTryAt}, once the work of the interrupted try is stopped`;
      this.recorder.note(run, { level: 'warn', message }, run.tryNumber);
      await this.recorder.save(run);
      // The retry never overlaps the interrupted work: it waits until that was told to stop.
      void abandoned.then(() => this.armRetry(job, run, at));
      return;
    }
    if (job) await this.finish(job, run, 'failed');
    else {
      run.state = 'failed';
      run.endedAt = now;
      await this.recorder.save(run);
      this.notifier.notifyRunFailed(structuredClone(run));
    }
  }

  /** Stops the work an interrupted try left behind, in the background (start-up does not wait for another app); notes how it went. */
  private abandon(job: JobRuntime | undefined, run: RunRecord): Promise<void> {
    const abandon = job?.def.abandon;
    const ingestRunId = run.ingestRunId;
    if (!job || !abandon || !ingestRunId) return Promise.resolve();
    return abandon.call(job.def, { ingestRunId }, this.logger).then(
      () => {
        this.recorder.note(run, { level: 'info', message: `stopped the work the interrupted try left behind (ingest run ${ingestRunId})` });
        void this.recorder.save(run);
      },
      (error: unknown) => {
        this.logger.warn({ runId: run.id, ingestRunId, err: describeError(error) }, 'could not stop the work of an interrupted run');
        this.recorder.note(run, {
          level: 'warn',
          message: `could not stop the work of the interrupted try (ingest run ${ingestRunId}): ${describeError(error)}`,
        });
        void this.recorder.save(run);
      },
    );
  }
}
