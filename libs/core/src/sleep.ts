import { AbortError, TimeoutError } from './errors';

/**
 * Resolves after `ms` milliseconds, or rejects with {@link AbortError} as soon
 * as `signal` aborts. The timer never keeps the process alive on its own
 * after an abort.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError());
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError());
    };
    // One Node timer holds at most 2^31 - 1 ms (a longer delay fires at once): wait in steps.
    const arm = (remaining: number) => {
      timer = setTimeout(
        () => {
          if (remaining > MAX_TIMER_MS) return arm(remaining - MAX_TIMER_MS);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.min(remaining, MAX_TIMER_MS),
      );
    };
    arm(ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The longest delay one Node timer can wait, in ms (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Time between checks in milliseconds. Default 100. */
  intervalMs?: number;
  /** Describes the condition in the timeout error. */
  description?: string;
  signal?: AbortSignal;
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, and
 * returns that value. Throws {@link TimeoutError} naming the condition when
 * the deadline passes. Errors thrown by `check` count as "not yet".
 *
 * @example
 * ```ts
 * const rows = await waitFor(async () => (await count()) === 10 || undefined, { description: '10 rows' });
 * ```
 */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitForOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${options.description ?? 'condition'}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs, options.signal);
  }
}
