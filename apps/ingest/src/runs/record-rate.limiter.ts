import { ConfigError, sleep } from '@userstream/core';

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

/**
 * A token bucket over records: `take(n)` waits until `n` records may go out
 * at `recordsPerSecond`, allowing a burst of `burst` records after a quiet
 * spell. Reservations are made at call time, so concurrent callers are
 * served in call order and never exceed the rate together.
 */
export class RecordRateLimiter {
  private readonly intervalMs: number;
  private readonly burstMs: number;
  /** The instant the bucket is empty after the reservations so far. */
  private emptyAt = -Infinity;

  constructor(
    readonly recordsPerSecond: number,
    readonly burst: number,
    private readonly clock: RunClock = systemClock,
  ) {
    if (!(recordsPerSecond > 0) || !Number.isFinite(recordsPerSecond)) throw new ConfigError(`rate must be a positive number (got ${recordsPerSecond})`);
    if (!(burst >= 1)) throw new ConfigError(`burst must be at least 1 (got ${burst})`);
    this.intervalMs = 1000 / recordsPerSecond;
    this.burstMs = burst * this.intervalMs;
  }

  /** Resolves with the wait in ms once `n` records may be sent; rejects with AbortError when `signal` aborts first. */
  async take(n: number, signal?: AbortSignal): Promise<number> {
    const now = this.clock.now();
    // A full bucket holds `burst` records: unused time older than that is forgotten.
    const base = Math.max(this.emptyAt, now - this.burstMs);
    this.emptyAt = base + n * this.intervalMs;
    const delay = Math.max(0, this.emptyAt - now);
    if (delay > 0) await this.clock.sleep(delay, signal);
    return delay;
  }
}
