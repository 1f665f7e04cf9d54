import { AbortError, isRetriable, TimeoutError } from './errors';
import { sleep } from './sleep';

/** How {@link retry} spaces and bounds its attempts. */
export interface RetryOptions {
  /** Total attempts including the first. Default 5. `Infinity` retries until the deadline or abort. */
  maxAttempts?: number;
  /** Delay cap for the first retry in milliseconds. Default 100. */
  initialDelayMs?: number;
  /** Upper bound for any single delay in milliseconds. Default 30 000. */
  maxDelayMs?: number;
  /** Growth factor between attempts. Default 2. */
  factor?: number;
  /**
   * `full` (default): a uniformly random delay between 0 and the exponential cap
   * (AWS "full jitter"). `none`: exactly the exponential cap.
   */
  jitter?: 'full' | 'none';
  /** Overall deadline for all attempts together, in milliseconds. */
  deadlineMs?: number;
  /** Decides whether an error is worth another attempt. Default: `error.retriable === true`. */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** A delay the failure itself asks for (e.g. HTTP Retry-After), in milliseconds. */
  delayHint?: (error: unknown) => number | undefined;
  /** Called before each wait; useful for logs and metrics. */
  onRetry?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
  signal?: AbortSignal;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (1-based): exponential growth from
 * `initialDelayMs`, capped at `maxDelayMs`, with optional full jitter.
 */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 30_000;
  const factor = options.factor ?? 2;
  const cap = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt - 1)));
  if ((options.jitter ?? 'full') === 'none') return cap;
  return Math.floor((options.random ?? Math.random)() * cap);
}

/**
 * Runs `operation` until it succeeds, the error is not retriable, attempts run
 * out, the deadline passes or `signal` aborts. The last error is rethrown
 * unchanged (a deadline that passes while waiting throws {@link TimeoutError}
 * with the last error as cause).
 *
 * @example
 * ```ts
 * const page = await retry(() => client.fetchPage({ results: 100 }), { maxAttempts: 3 });
 * ```
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  const shouldRetry = options.shouldRetry ?? ((error: unknown) => isRetriable(error));
  const deadline = options.deadlineMs === undefined ? Infinity : Date.now() + options.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new AbortError();
    try {
      return await operation(attempt);
    } catch (error) {
      if (error instanceof AbortError || options.signal?.aborted) throw error;
      if (attempt >= maxAttempts || !shouldRetry(error, attempt)) throw error;
      const hint = options.delayHint?.(error);
      let delayMs = Math.max(backoffDelay(attempt, options), hint ?? 0);
      if (hint !== undefined) delayMs = Math.min(Math.max(hint, delayMs), options.maxDelayMs ?? 30_000);
      const remaining = deadline - Date.now();
      if (remaining <= delayMs) {
        throw new TimeoutError(`gave up after ${attempt} attempts: deadline of ${options.deadlineMs} ms reached`, {
          cause: error,
          details: { attempts: attempt },
        });
      }
      options.onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, options.signal);
    }
  }
}
