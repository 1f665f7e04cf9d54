import { describeError, retry, TypedEmitter, type Logger } from '@userstream/core';
import type { OrchestratorMetrics } from '../app/orchestrator.metrics';
import type { WebhookNotifier } from '../notify/webhook.notifier';
import { appendRunLog, type RunLogNote } from '../runs/run-log';
import type { RowsWritten, RunRecord } from '../runs/run.model';
import type { RunStore } from '../runs/run.store';

/** What the scheduler tells its listeners. */
export type SchedulerEvents = {
  /** A run reached success or failed. */
  'run.finished': { run: RunRecord };
};

/** Saves: how often a failed save is tried, and the first pause between tries. */
const SAVE_RETRY = { maxAttempts: 3, initialDelayMs: 200 } as const;

/**
 * Records runs: saves each change in the {@link RunStore} (saves of one run
 * land in order), keeps the run's log, and announces a run's end (metrics,
 * the failure webhook, the `run.finished` event).
 */
export class RunRecorder {
  readonly events = new TypedEmitter<SchedulerEvents>();
  /** The last pending save of each run, so saves of one run land in order. */
  private readonly saving = new Map<string, Promise<void>>();

  constructor(
    private readonly store: RunStore,
    private readonly metrics: OrchestratorMetrics,
    private readonly notifier: WebhookNotifier,
    private readonly logger: Logger,
  ) {}

  /** The first save of a new run: it must succeed, since a run that is not in the history must not run. */
  async create(run: RunRecord): Promise<void> {
    await this.store.saveRun(run);
  }

  /**
   * Saves the run's current state. Saves of one run are chained so they land
   * in order; failures are retried briefly, then logged (the run goes on).
   */
  save(run: RunRecord): Promise<void> {
    const snapshot = structuredClone(run);
    const previous = this.saving.get(run.id) ?? Promise.resolve();
    const next = previous.then(() =>
      retry(() => this.store.saveRun(snapshot), SAVE_RETRY).catch((error: unknown) => {
        this.logger.error({ runId: run.id, state: run.state, err: describeError(error) }, 'could not save the run');
      }),
    );
    this.saving.set(run.id, next);
    void next.then(() => {
      if (this.saving.get(run.id) === next) this.saving.delete(run.id);
    });
    return next;
  }

  /** Adds a line to the run's log (bounded); saved with the run's next save. `tryNumber` ties it to a try, and scopes its key. */
  note(run: RunRecord, note: RunLogNote, tryNumber?: number): void {
    run.log ??= [];
    appendRunLog(run.log, {
      at: new Date().toISOString(),
      level: note.level,
      message: note.message,
      ...(tryNumber !== undefined ? { tryNumber } : {}),
      ...(note.key !== undefined ? { key: tryNumber !== undefined ? `${tryNumber}:${note.key}` : note.key } : {}),
    });
  }

  /** Puts the run in its final state and saves it. */
  async end(run: RunRecord, state: 'success' | 'failed'): Promise<void> {
    run.state = state;
    run.endedAt = new Date().toISOString();
    delete run.nextTryAt;
    if (state === 'success') {
      delete run.error;
      run.rowsWritten = initialRowsWritten(run);
      this.note(run, { level: 'info', message: run.counts ? `run succeeded: ${run.counts.acknowledged} records acknowledged by Kafka` : 'run succeeded' });
    } else {
      this.note(run, { level: 'error', message: `run failed: ${run.error ?? 'no reason given'}` });
    }
    await this.save(run);
  }

  /** Tells the world a run ended: metrics, a log line, the failure webhook and `run.finished`. */
  announce(run: RunRecord): void {
    const state = run.state === 'success' ? 'success' : 'failed';
    const { metrics } = this;
    metrics.activeRuns.set({ job: run.job }, 0);
    metrics.runsTotal.inc({ job: run.job, state });
    if (run.startedAt && run.endedAt) metrics.runDuration.observe({ job: run.job, state }, (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000);
    if (state === 'success' && run.counts) metrics.recordsAcknowledged.inc({ job: run.job }, run.counts.acknowledged);
    this.logger.info({ job: run.job, runId: run.id, state, tries: run.tryNumber, counts: run.counts, error: run.error }, 'run finished');
    if (state === 'failed') this.notifier.notifyRunFailed(structuredClone(run));
    this.events.emit('run.finished', { run: structuredClone(run) });
  }
}

/** Rows written, as known when the run succeeds; the rows-written tracker settles `pending`. */
export function initialRowsWritten(run: RunRecord): RowsWritten {
  const acknowledged = run.counts?.acknowledged;
  if (acknowledged === 0) return { state: 'known', value: 0 };
  if (!run.offsets || run.offsets.partitions.length === 0) return { state: 'unknown', value: null, reason: 'ingest reported no offsets for the run' };
  return { state: 'pending', value: null, reason: 'waiting for the stream-processor to commit past the run' };
}
