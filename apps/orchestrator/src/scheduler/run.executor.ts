import { AbortError, describeError, raceAbort, TimeoutError, withTimeout, type Logger } from '@userstream/core';
import type { OrchestratorMetrics } from '../app/orchestrator.metrics';
import { PermanentJobError, type JobDefinition, type JobProgress } from '../jobs/job.definition';
import type { RunRecord } from '../runs/run.model';
import type { RunRecorder } from './run.recorder';

/** How a try ended. */
export type TryOutcome =
  | { ok: true; logger: Logger }
  | {
      ok: false;
      logger: Logger;
      /** The failure, as saved on the run. */
      message: string;
      /** A PermanentJobError: no retry can fix it. */
      permanent: boolean;
      /** Aborted by a shutdown: the run fails without a retry. */
      shuttingDown: boolean;
    };

type Settled = { ok: true; progress: JobProgress } | { ok: false; error: unknown };

/**
 * Runs one try of a run: marks it running, calls the job with a signal
 * that aborts at the execution timeout (or shutdown), records the job's
 * progress and notes, waits a bounded grace period for a job that ignores
 * its signal, and records how the try ended. What happens next (retry or
 * end) is the scheduler's decision.
 */
export class RunExecutor {
  constructor(
    private readonly recorder: RunRecorder,
    private readonly metrics: OrchestratorMetrics,
    private readonly logger: Logger,
    /** After a try is aborted, how long its job may take to clean up, in milliseconds. */
    private readonly abortGraceMs: number,
    /** Whether the scheduler is stopping (a failure then gets no retry). */
    private readonly stopping: () => boolean,
  ) {}

  async runTry(def: JobDefinition<object>, run: RunRecord, controller: AbortController): Promise<TryOutcome> {
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
    const tryNumber = run.tryNumber;
    const logger = this.logger.child({ job: run.job, runId: run.id, tryNumber });
    logger.info({ maxTries: run.maxTries }, 'try started');
    this.recorder.note(run, { level: 'info', message: `try ${tryNumber} of ${run.maxTries} started` }, tryNumber);
    await this.recorder.save(run);

    let ended = false;
    // Progress and notes of one moment (a poll) go out in one save.
    let saveQueued = false;
    const saveSoon = () => {
      if (saveQueued) return;
      saveQueued = true;
      queueMicrotask(() => {
        saveQueued = false;
        void this.recorder.save(run);
      });
    };
    const timeout = setTimeout(
      () => controller.abort(new TimeoutError(`try ${tryNumber} ran past the execution timeout of ${def.executionTimeoutMs} ms`)),
      def.executionTimeoutMs,
    );
    let result: Settled;
    try {
      // Through a promise, so a job that throws synchronously fails its try like any other.
      const execution = Promise.resolve().then(() =>
        def.execute({
          runId: run.id,
          tryNumber,
          params: run.params,
          signal: controller.signal,
          logger,
          progress: (update) => {
            if (ended) return;
            Object.assign(run, update);
            if (update.ingestRunId) run.tries[run.tries.length - 1].ingestRunId = update.ingestRunId;
            saveSoon();
          },
          note: (note) => {
            if (ended) return;
            this.recorder.note(run, note, tryNumber);
            saveSoon();
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
      this.metrics.triesTotal.inc({ job: run.job, outcome: 'success' });
      this.recorder.note(run, { level: 'info', message: `try ${tryNumber} succeeded` }, tryNumber);
      return { ok: true, logger };
    }

    // An aborted try fails with the reason of the abort (timeout, shutdown), not the job's echo of it.
    const error = controller.signal.aborted ? controller.signal.reason : result.error;
    const message = describeError(error);
    current.state = 'failed';
    current.error = message;
    run.error = message;
    const timedOut = error instanceof TimeoutError && controller.signal.aborted;
    this.metrics.triesTotal.inc({ job: run.job, outcome: timedOut ? 'timeout' : 'failed' });
    return { ok: false, logger, message, permanent: error instanceof PermanentJobError, shuttingDown: error instanceof AbortError || this.stopping() };
  }

  /**
   * Waits for the job's promise; once `signal` aborts, waits at most
   * `abortGraceMs` more for the job to clean up, so a job that ignores its
   * signal cannot hold a run past its timeout.
   */
  private async settleWithin(execution: Promise<JobProgress>, signal: AbortSignal): Promise<Settled> {
    const outcome = execution.then(
      (progress): Settled => ({ ok: true, progress }),
      (error: unknown): Settled => ({ ok: false, error }),
    );
    try {
      return await raceAbort(outcome, signal);
    } catch {
      // Aborted: the job has the grace period to clean up and settle.
      return withTimeout(outcome, this.abortGraceMs).catch((): Settled => ({ ok: false, error: signal.reason }));
    }
  }
}
