import { randomUUID } from 'node:crypto';
import { UserstreamError, finishesWithin, silentLogger, type Logger } from '@userstream/core';
import type { IngestRun } from './ingest-run';
import { resolveRunParams, type RunDeployment, type RunParams, type RunStatus } from '@userstream/ingest-contract';

/** Makes runs; the app's {@link RunFactory}, or a fake in tests. */
export interface RunMaker {
  readonly defaults: RunDeployment;
  createRun(id: string, params: RunParams): IngestRun;
}

/** Too many runs are active; answered as HTTP 429. */
export class TooManyRunsError extends UserstreamError {
  constructor(limit: number) {
    super(`${limit} runs are active already (INGEST_MAX_ACTIVE_RUNS); wait for one to end or cancel one`, { code: 'RUNS_LIMIT', retriable: true });
  }
}

/** The app is shutting down and takes no new runs; answered as HTTP 503. */
export class ShuttingDownError extends UserstreamError {
  constructor() {
    super('ingest is shutting down and takes no new runs', { code: 'SHUTTING_DOWN', retriable: true });
  }
}

/** Options of {@link RunsService}. */
export interface RunsServiceOptions {
  /** Runs active at once. Default 4. */
  maxActiveRuns?: number;
  /** Finished runs kept in memory. Default 100. */
  history?: number;
  /** Called with every new run before it starts (metrics subscribe here). */
  onRunCreated?: (run: IngestRun) => void;
  logger?: Logger;
}

/**
 * The runs of this process, in memory: starts them, answers their status,
 * cancels them, keeps the last `history` finished ones, and cancels the
 * active ones on shutdown. Framework-free; the NestJS controller is a thin
 * layer over it.
 */
export class RunsService {
  /** In creation order (oldest first). */
  private readonly runs = new Map<string, IngestRun>();
  private readonly maxActiveRuns: number;
  private readonly history: number;
  private readonly log: Logger;
  private closing = false;

  constructor(
    private readonly maker: RunMaker,
    private readonly options: RunsServiceOptions = {},
  ) {
    this.maxActiveRuns = options.maxActiveRuns ?? 4;
    this.history = options.history ?? 100;
    this.log = (options.logger ?? silentLogger).child({ component: 'runs' });
  }

  /** Runs not over yet. */
  get activeCount(): number {
    let n = 0;
    for (const run of this.runs.values()) if (run.active) n++;
    return n;
  }

  /**
   * Validates `body` and starts a run.
   *
   * @throws InvalidRunParamsError for bad parameters (HTTP 400)
   * @throws TooManyRunsError when `maxActiveRuns` runs are active (HTTP 429)
   * @throws ShuttingDownError during shutdown (HTTP 503)
   */
  start(body: unknown): RunStatus {
    if (this.closing) throw new ShuttingDownError();
    const params = resolveRunParams(body, this.maker.defaults);
    if (this.activeCount >= this.maxActiveRuns) throw new TooManyRunsError(this.maxActiveRuns);
    const run = this.maker.createRun(randomUUID(), params);
    this.runs.set(run.id, run);
    this.options.onRunCreated?.(run);
    void run.start().then(() => this.prune());
    return run.status();
  }

  /** The run's status, or undefined when unknown (never existed, or pruned from the history). */
  get(id: string): RunStatus | undefined {
    return this.runs.get(id)?.status();
  }

  /** Recent runs, newest first. */
  list(): RunStatus[] {
    return [...this.runs.values()].reverse().map((run) => run.status());
  }

  /**
   * Cancels a run and waits up to `waitMs` for it to stop (flushing what is
   * in flight). Returns its status then (`cancelled` once stopped; a run that
   * was already over keeps its state), or undefined when unknown.
   */
  async cancel(id: string, waitMs = 15_000): Promise<RunStatus | undefined> {
    const run = this.runs.get(id);
    if (!run) return undefined;
    run.cancel('cancelled by request');
    await finishesWithin(run.done, waitMs);
    return run.status();
  }

  /** Takes no more runs, cancels the active ones and waits until they are over. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const active = [...this.runs.values()].filter((run) => run.active);
    if (active.length > 0) this.log.info({ runs: active.map((r) => r.id) }, 'cancelling active runs for shutdown');
    for (const run of active) run.cancel('cancelled: ingest is shutting down');
    await Promise.all(active.map((run) => run.done));
  }

  private prune(): void {
    const finished = [...this.runs.values()].filter((run) => !run.active);
    for (const run of finished.slice(0, Math.max(0, finished.length - this.history))) this.runs.delete(run.id);
  }
}
