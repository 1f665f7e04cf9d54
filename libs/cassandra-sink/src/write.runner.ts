import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { AbortError, isRetriable, retry, TimeoutError } from '@userstream/core';
import { SinkError, SinkErrorCode, wrapDriverError } from './sink.errors';

/** One statement of a record: the upsert into one table with its bound values. */
export interface WriteStatement {
  table: string;
  query: string;
  params: unknown[];
}

/** One record to write: its position in the batch, its id, and one statement per target table. */
export interface WriteTask {
  index: number;
  id: string;
  statements: WriteStatement[];
}

/** Runs one statement; in the sink it is `client.execute(query, params, { prepare: true })`. */
export type StatementExecutor = (query: string, params: unknown[]) => Promise<unknown>;

/** The outcome of one record of a batch. */
export type WriteRecordResult =
  | {
      /** Position of the record in the batch. */
      index: number;
      /** The record's id as given (may be an invalid one for failed records). */
      id: string;
      status: 'written';
      /** Attempts it took, 1 when the first succeeded. */
      attempts: number;
    }
  | {
      index: number;
      id: string;
      status: 'failed';
      /** Why, with the driver error as `cause`. */
      error: SinkError;
      /** Shortcut for `error.code`. */
      code: SinkErrorCode;
      /** `true`: the same write may succeed later (pause and retry the batch); `false`: it never will (dead-letter it). */
      retriable: boolean;
      /** Attempts made (0 when the record was rejected before sending, or never started). */
      attempts: number;
    };

/** How {@link runWrites} spaces, bounds and reports its work. */
export interface RunWritesOptions {
  execute: StatementExecutor;
  concurrency: number;
  maxAttempts: number;
  /** Milliseconds from the start of the run after which no retry starts. */
  deadlineMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  stopOnExhausted: boolean;
  signal?: AbortSignal;
  onRetry?: (info: { task: WriteTask; attempt: number; delayMs: number; error: SinkError }) => void;
  /** Called with each record's latency (ms, first attempt to last response). */
  onLatency?: (ms: number) => void;
  /** Called as soon as Cassandra acknowledged records (every table): one record, or a whole batch. */
  onWritten?: (records: number) => void;
  random?: () => number;
}

/** A per-record failure result. */
export function failedResult(index: number, id: string, error: SinkError, attempts: number): WriteRecordResult {
  return { index, id, status: 'failed', error, code: error.code, retriable: error.retriable, attempts };
}

function notAttempted(task: WriteTask, reason: string): WriteRecordResult {
  return failedResult(
    task.index,
    task.id,
    new SinkError(`record ${task.index} not attempted: ${reason}`, {
      code: SinkErrorCode.NOT_ATTEMPTED,
      retriable: true,
      details: { index: task.index, id: task.id },
    }),
    0,
  );
}

/** Runs one UNLOGGED batch of statements; in the sink it is `client.batch(queries, { prepare: true, logged: false })`. */
export type BatchExecutor = (statements: WriteStatement[]) => Promise<unknown>;

/** Options of {@link runBatchedWrites}: those of {@link runWrites} plus the batch executor. */
export interface RunBatchedWritesOptions extends RunWritesOptions {
  executeBatch: BatchExecutor;
  /** Called when a batch failed for good and its records are written one by one to find the bad ones. */
  onFallback?: (info: { tasks: WriteTask[]; error: SinkError }) => void;
}

/**
 * One run of writes: the worker slots, the stop signal (caller abort, or a
 * record that exhausted its retries), the deadline. Shared by the single-row
 * and the batched mode.
 */
class WriteRun {
  readonly stop = new AbortController();
  private stopReason = '';
  private readonly deadline: number;
  private readonly onCallerAbort: () => void;
  /** Last in-flight write per id, so duplicates apply in batch order. */
  private readonly lastById = new Map<string, Promise<unknown>>();

  constructor(private readonly options: RunWritesOptions) {
    // Every record waiting out a backoff listens on this signal; that is by design, not a leak.
    setMaxListeners(options.concurrency + 10, this.stop.signal);
    this.onCallerAbort = () => this.halt(typeof options.signal?.reason === 'string' ? options.signal.reason : 'the write was aborted');
    if (options.signal?.aborted) this.onCallerAbort();
    else options.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.deadline = Date.now() + options.deadlineMs;
  }

  get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  halt(reason: string): void {
    if (this.stop.signal.aborted) return;
    this.stopReason = reason;
    this.stop.abort();
  }

  notAttempted(task: WriteTask): WriteRecordResult {
    return notAttempted(task, this.stopReason);
  }

  dispose(): void {
    this.options.signal?.removeEventListener('abort', this.onCallerAbort);
  }

  /** Retries `attempt` on retriable failures within the run's budget; resolves with the attempts made. */
  private async withRetries(
    attempt: (n: number) => Promise<void>,
    onRetry: (info: { attempt: number; delayMs: number; error: SinkError }) => void,
  ): Promise<void> {
    const o = this.options;
    await retry(attempt, {
      maxAttempts: o.maxAttempts,
      deadlineMs: Math.max(0, this.deadline - Date.now()),
      initialDelayMs: o.initialDelayMs,
      maxDelayMs: o.maxDelayMs,
      shouldRetry: isRetriable,
      signal: this.stop.signal,
      random: o.random,
      onRetry: ({ error, attempt: n, delayMs }) => onRetry({ attempt: n, delayMs, error: error as SinkError }),
    });
  }

  /** After a unit failed: decides whether the run stops (retries exhausted) and returns the error to report. */
  private settleFailure(error: unknown, lastError: SinkError, attempts: number, what: string): void {
    const exhausted = lastError.retriable && !(error instanceof AbortError) && !this.stop.signal.aborted;
    if (exhausted && this.options.stopOnExhausted) {
      const why = error instanceof TimeoutError ? 'deadline of the batch reached' : `${attempts} attempts`;
      this.halt(`${what} failed after ${why} (${lastError.code}); the batch stopped early`);
    }
  }

  /** One record, one statement per table; only the statements that failed are repeated. */
  async runTask(task: WriteTask): Promise<WriteRecordResult> {
    const o = this.options;
    const started = performance.now();
    const done = new Array<boolean>(task.statements.length).fill(false);
    let attempts = 0;
    let lastError: SinkError | undefined;
    try {
      await this.withRetries(
        async (attempt) => {
          attempts = attempt;
          const pending = task.statements.map((_, i) => i).filter((i) => !done[i]);
          const settled = await Promise.allSettled(pending.map((i) => o.execute(task.statements[i].query, task.statements[i].params)));
          let failure: SinkError | undefined;
          settled.forEach((outcome, k) => {
            const i = pending[k];
            if (outcome.status === 'fulfilled') {
              done[i] = true;
              return;
            }
            const error = wrapDriverError(outcome.reason, `writing record ${task.index} to ${task.statements[i].table}`, undefined, {
              index: task.index,
              id: task.id,
              table: task.statements[i].table,
            });
            // A permanent failure decides the record: no point retrying the other table.
            if (failure === undefined || (failure.retriable && !error.retriable)) failure = error;
          });
          if (failure) {
            lastError = failure;
            throw failure;
          }
        },
        ({ attempt, delayMs, error }) => o.onRetry?.({ task, attempt, delayMs, error }),
      );
      o.onLatency?.(performance.now() - started);
      o.onWritten?.(1);
      return { index: task.index, id: task.id, status: 'written', attempts };
    } catch (error) {
      o.onLatency?.(performance.now() - started);
      if (lastError === undefined) {
        // Aborted before the first attempt went out.
        if (error instanceof AbortError) return this.notAttempted(task);
        lastError = wrapDriverError(error, `writing record ${task.index}`);
      }
      this.settleFailure(error, lastError, attempts, `record ${task.index}`);
      return failedResult(task.index, task.id, lastError, attempts);
    }
  }

  /** Runs tasks sharing an id one after the other, in the order they were started. */
  runInOrder(task: WriteTask): Promise<WriteRecordResult> {
    const key = task.id.toLowerCase();
    const previous = this.lastById.get(key);
    const run = previous === undefined ? this.runTask(task) : previous.then(() => this.runTask(task));
    this.lastById.set(key, run);
    void run.finally(() => {
      if (this.lastById.get(key) === run) this.lastById.delete(key);
    });
    return run;
  }

  /**
   * Several records as one UNLOGGED batch, retried whole on retriable
   * failures. A batch that fails for good is written again record by record,
   * so exactly the records Cassandra refuses are reported (and the others
   * written); a batch that runs out of retries reports all its records failed
   * and retriable.
   */
  async runBatch(tasks: WriteTask[], o: RunBatchedWritesOptions): Promise<WriteRecordResult[]> {
    const started = performance.now();
    const first = tasks[0] as WriteTask;
    const statements = tasks.flatMap((t) => t.statements);
    let attempts = 0;
    let lastError: SinkError | undefined;
    try {
      await this.withRetries(
        async (attempt) => {
          attempts = attempt;
          try {
            await o.executeBatch(statements);
          } catch (error) {
            lastError = wrapDriverError(
              error,
              `writing a batch of ${tasks.length} records (${first.index}, ...) to ${[...new Set(statements.map((s) => s.table))].join(', ')}`,
              undefined,
              {
                records: tasks.length,
                firstIndex: first.index,
              },
            );
            throw lastError;
          }
        },
        ({ attempt, delayMs, error }) => o.onRetry?.({ task: first, attempt, delayMs, error }),
      );
      const ms = performance.now() - started;
      if (o.onLatency) for (let i = 0; i < tasks.length; i++) o.onLatency(ms);
      o.onWritten?.(tasks.length);
      return tasks.map((task) => ({ index: task.index, id: task.id, status: 'written' as const, attempts }));
    } catch (error) {
      if (lastError === undefined) {
        if (error instanceof AbortError) return tasks.map((task) => this.notAttempted(task));
        lastError = wrapDriverError(error, `writing a batch of ${tasks.length} records`);
      }
      if (!lastError.retriable && !this.stop.signal.aborted) {
        // Refused for good: find the bad records, write the rest.
        o.onFallback?.({ tasks, error: lastError });
        return Promise.all(tasks.map((task) => this.runInOrder(task)));
      }
      const ms = performance.now() - started;
      if (o.onLatency) for (let i = 0; i < tasks.length; i++) o.onLatency(ms);
      this.settleFailure(error, lastError, attempts, `a batch of ${tasks.length} records (${first.index}, ...)`);
      const cause = lastError;
      return tasks.map((task) =>
        failedResult(
          task.index,
          task.id,
          new SinkError(`record ${task.index}: ${cause.message}`, {
            code: cause.code,
            retriable: cause.retriable,
            cause,
            details: { index: task.index, id: task.id },
          }),
          attempts,
        ),
      );
    }
  }

  /**
   * Starts units in order while the records they hold stay within
   * `concurrency` records in flight (one unit always runs, however large),
   * and the next one whenever enough of them are done. `size` is a unit's
   * record count. Stops starting units once the run is stopped or a unit
   * rejected, waits for those running, and rethrows the first rejection.
   */
  async pool<U>(units: readonly U[], size: (unit: U) => number, run: (unit: U) => Promise<void>): Promise<void> {
    let running = 0;
    let inFlight = 0;
    let failure: { error: unknown } | undefined;
    // Resolved by each unit that ends while the loop below waits: no scan of what runs.
    let wake: (() => void) | undefined;
    let allDone: (() => void) | undefined;
    for (const unit of units) {
      const records = size(unit);
      while (running > 0 && inFlight + records > this.options.concurrency) await new Promise<void>((resolve) => (wake = resolve));
      if (this.stop.signal.aborted || failure) break;
      running++;
      inFlight += records;
      run(unit)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          running--;
          inFlight -= records;
          const resume = wake;
          wake = undefined;
          resume?.();
          if (running === 0) allDone?.();
        });
    }
    if (running > 0) await new Promise<void>((resolve) => (allDone = resolve));
    if (failure) throw failure.error;
  }
}

const one = () => 1;

/**
 * Writes every task with at most `concurrency` records in flight, starting
 * the next task whenever one is done (the shape of the driver's
 * `executeConcurrent`, but with a result per record). Never rejects: each task ends `written` or `failed`.
 *
 * Per record, retriable failures are retried with exponential backoff and
 * full jitter (core's `retry`) up to `maxAttempts` and the run's deadline;
 * only the statements that failed are repeated. Tasks sharing an id run one
 * after the other in batch order, so the later record is the later write.
 * When a record exhausts its attempts and `stopOnExhausted` is set, or
 * `signal` aborts, no new task starts: those still waiting are reported
 * `SINK_NOT_ATTEMPTED` (retriable) and retries in progress stop at their
 * next wait, reporting their last error.
 *
 * @returns results in the order of `tasks`.
 */
export async function runWrites(tasks: readonly WriteTask[], options: RunWritesOptions): Promise<WriteRecordResult[]> {
  const run = new WriteRun(options);
  const results: (WriteRecordResult | undefined)[] = new Array(tasks.length);
  const positions = tasks.map((_, i) => i);
  try {
    await run.pool(positions, one, async (position) => {
      results[position] = await run.runInOrder(tasks[position] as WriteTask);
    });
  } finally {
    run.dispose();
  }
  // Array.from, not map: map skips the holes left by tasks that never started.
  return Array.from(tasks, (task, i) => results[i] ?? run.notAttempted(task));
}

/**
 * Writes units planned by `planBatches`: waves one after the other (a wave
 * holds at most one record per id), and in each wave units in order with at
 * most `concurrency` records in flight (a unit larger than that runs alone).
 * A unit of one record is written as plain statements (like
 * {@link runWrites}); a larger one as one UNLOGGED batch (see
 * `WriteRun.runBatch` for what happens when it fails). The same stop rules
 * as {@link runWrites}. Never rejects.
 *
 * @returns one result per task, in no particular order (use `index`).
 */
export async function runBatchedWrites(waves: readonly (readonly WriteTask[][])[], options: RunBatchedWritesOptions): Promise<WriteRecordResult[]> {
  const run = new WriteRun(options);
  const results = new Map<WriteTask, WriteRecordResult>();
  try {
    for (const units of waves) {
      if (run.stopped) break;
      await run.pool(
        units,
        (unit) => unit.length,
        async (unit) => {
          const outcomes = unit.length === 1 ? [await run.runTask(unit[0] as WriteTask)] : await run.runBatch(unit, options);
          unit.forEach((task, i) => results.set(task, outcomes[i] as WriteRecordResult));
        },
      );
    }
  } finally {
    run.dispose();
  }
  return waves.flatMap((units) => units.flatMap((unit) => unit.map((task) => results.get(task) ?? run.notAttempted(task))));
}
