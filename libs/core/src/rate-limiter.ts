import { ConfigError } from './errors';
import { sleep } from './sleep';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Sustained rate: units (requests, records) per second. Finite and above 0. */
  perSecond: number;
  /** Units that may go at once after a quiet spell. At least 1; default 1 (evenly spaced). */
  burst?: number;
  /** Monotonic clock in milliseconds; injectable for tests. Default `performance.now`. */
  now?: () => number;
  /** Waits `ms`, rejecting with `AbortError` when `signal` aborts; injectable for tests. Default core `sleep`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A token bucket (implemented as GCRA): `take(n)` reserves the next `n`
 * units at call time and waits until they may go, so concurrent callers are
 * served in call order and never exceed the rate together. Unused time older
 * than one burst is forgotten.
 *
 * @throws ConfigError from the constructor for a rate that is not a finite positive number, or a burst below 1.
 * @example
 * ```ts
 * const limiter = new RateLimiter({ perSecond: 100, burst: 10 });
 * await limiter.take(10, signal); // the first 10 go at once, then 1 every 10 ms
 * ```
 */
export class RateLimiter {
  readonly perSecond: number;
  readonly burst: number;
  private readonly intervalMs: number;
  private readonly burstMs: number;
  private readonly now: () => number;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The instant the bucket is empty after the reservations so far. */
  private emptyAt = -Infinity;

  constructor(options: RateLimiterOptions) {
    const { perSecond, burst = 1 } = options;
    if (typeof perSecond !== 'number' || !(perSecond > 0) || !Number.isFinite(perSecond))
      throw new ConfigError(`rate must be a positive number (got ${String(perSecond)})`);
    if (typeof burst !== 'number' || !(burst >= 1) || !Number.isFinite(burst)) throw new ConfigError(`burst must be at least 1 (got ${String(burst)})`);
    this.perSecond = perSecond;
    this.burst = burst;
    this.intervalMs = 1000 / perSecond;
    this.burstMs = burst * this.intervalMs;
    this.now = options.now ?? (() => performance.now());
    this.wait = options.sleep ?? sleep;
  }

  /**
   * Resolves with the wait in ms once `n` units may go (0 while the bucket
   * holds them). Rejects with `AbortError` when `signal` aborts while waiting;
   * the reservation is then lost, which only slows later callers down.
   */
  async take(n = 1, signal?: AbortSignal): Promise<number> {
    const now = this.now();
    const base = Math.max(this.emptyAt, now - this.burstMs);
    this.emptyAt = base + n * this.intervalMs;
    const delay = Math.max(0, this.emptyAt - now);
    if (delay > 0) await this.wait(delay, signal);
    return delay;
  }
}
