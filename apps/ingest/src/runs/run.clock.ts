import { sleep } from '@userstream/core';

/** A clock and a way to wait on it; injectable so tests control time. */
export interface RunClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms`, rejects with core `AbortError` when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and core `sleep`. */
export const systemClock: RunClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, signal),
};
