import { AbortError, TimeoutError } from './errors';

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** Message of the {@link TimeoutError}. Default `timed out after <ms> ms`. */
  message?: string;
  /** Extra fields for the error's `details`. */
  details?: Record<string, unknown>;
}

const TIMED_OUT = Symbol('timed out');

/** `promise` raced against a timer that resolves with {@link TIMED_OUT}; the timer is always cleared. */
async function raceTimer<T>(promise: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Settles as `promise` does, or rejects with {@link TimeoutError} when it has
 * not settled after `ms` milliseconds. The timer is cleared either way; the
 * promise itself is not cancelled (pass it a signal for that).
 *
 * @throws TimeoutError when the time runs out first.
 * @example
 * ```ts
 * await withTimeout(consumer.disconnect(), 5_000, { message: 'consumer did not stop within 5000 ms' });
 * ```
 */
export async function withTimeout<T>(promise: PromiseLike<T>, ms: number, options: WithTimeoutOptions = {}): Promise<T> {
  const result = await raceTimer(promise, ms);
  if (result === TIMED_OUT) throw new TimeoutError(options.message ?? `timed out after ${ms} ms`, { details: { timeoutMs: ms, ...options.details } });
  return result;
}

/**
 * Waits at most `ms` milliseconds for `promise`: `true` when it fulfilled in
 * time, `false` when the time ran out first (the promise goes on). A
 * rejection passes through. For "wait a while, then move on" on shutdown.
 *
 * @example
 * ```ts
 * if (!(await finishesWithin(Promise.all(pending), 10_000))) controller.abort();
 * ```
 */
export async function finishesWithin(promise: PromiseLike<unknown>, ms: number): Promise<boolean> {
  return (await raceTimer(promise, ms)) !== TIMED_OUT;
}

/**
 * Settles as `promise` does, or rejects with {@link AbortError} (the signal's
 * reason as `cause`) as soon as `signal` aborts; at once if it already has.
 * The abort listener is removed either way; the promise itself goes on.
 *
 * @throws AbortError when the signal aborts first.
 * @example
 * ```ts
 * const page = await raceAbort(nextPage, stop.signal);
 * ```
 */
export async function raceAbort<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new AbortError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
