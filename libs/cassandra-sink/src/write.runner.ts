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
    new SinkError(`record ${task.index} not attempted: ${reason}`, { code: SinkErrorCode.NOT_ATTEMPTED, retriable: true, details: { index: task.index, id: task.id } }),
    0,
  );
}

/**
 * Writes every task with at most `concurrency` records in flight: a fixed set
 * of worker slots, each taking the next task when its current one is done
 * (the shape of the driver's `executeConcurrent`, but with a result per
 * record). Never rejects: each task ends `written` or `failed`.
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
  const results: (WriteRecordResult | undefined)[] = new Array(tasks.length);
  const stop = new AbortController();
  // Every record waiting out a backoff listens on this signal; that is by design, not a leak.
  setMaxListeners(options.concurrency + 10, stop.signal);
  let stopReason = '';
  const halt = (reason: string) => {
    if (stop.signal.aborted) return;
    stopReason = reason;
    stop.abort();
  };
  const onCallerAbort = () => halt(typeof options.signal?.reason === 'string' ? options.signal.reason : 'the write was aborted');
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const deadline = Date.now() + options.deadlineMs;
  // Last in-flight write per id, so duplicates within a batch apply in batch order.
  const lastById = new Map<string, Promise<unknown>>();

  const runTask = async (task: WriteTask): Promise<WriteRecordResult> => {
    const started = performance.now();
    const done = new Array<boolean>(task.statements.length).fill(false);
    let attempts = 0;
    let lastError: SinkError | undefined;
    try {
      await retry(
        async (attempt) => {
          attempts = attempt;
          const pending = task.statements.map((_, i) => i).filter((i) => !done[i]);
          const settled = await Promise.allSettled(pending.map((i) => options.execute(task.statements[i].query, task.statements[i].params)));
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
        {
          maxAttempts: options.maxAttempts,
          deadlineMs: Math.max(0, deadline - Date.now()),
          initialDelayMs: options.initialDelayMs,
          maxDelayMs: options.maxDelayMs,
          shouldRetry: isRetriable,
          signal: stop.signal,
          random: options.random,
          onRetry: ({ error, attempt, delayMs }) => options.onRetry?.({ task, attempt, delayMs, error: error as SinkError }),
        },
      );
      options.onLatency?.(performance.now() - started);
      return { index: task.index, id: task.id, status: 'written', attempts };
    } catch (error) {
      options.onLatency?.(performance.now() - started);
      if (lastError === undefined) {
        // Aborted before the first attempt went out.
        if (error instanceof AbortError) return notAttempted(task, stopReason);
        lastError = wrapDriverError(error, `writing record ${task.index}`);
      }
      const exhausted = lastError.retriable && !(error instanceof AbortError) && !stop.signal.aborted;
      if (exhausted && options.stopOnExhausted) {
        const why = error instanceof TimeoutError ? 'deadline of the batch reached' : `${attempts} attempts`;
        halt(`record ${task.index} failed after ${why} (${lastError.code}); the batch stopped early`);
      }
      return failedResult(task.index, task.id, lastError, attempts);
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (stop.signal.aborted) return;
      const position = next++;
      if (position >= tasks.length) return;
      const task = tasks[position];
      const key = task.id.toLowerCase();
      const previous = lastById.get(key);
      const run = previous === undefined ? runTask(task) : previous.then(() => runTask(task));
      lastById.set(key, run);
      results[position] = await run;
      if (lastById.get(key) === run) lastById.delete(key);
    }
  };

  try {
    const slots = Math.max(1, Math.min(options.concurrency, tasks.length));
    await Promise.all(Array.from({ length: slots }, () => worker()));
  } finally {
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
  // Array.from, not map: map skips the holes left by tasks that never started.
  return Array.from(tasks, (task, i) => results[i] ?? notAttempted(task, stopReason));
}
