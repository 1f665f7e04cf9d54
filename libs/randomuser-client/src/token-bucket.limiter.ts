import { ConfigError, sleep } from '@userstream/core';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained rate: tokens added per second. */
  requestsPerSecond: number;
  /** Tokens that may be spent at once after a quiet period. Default 1 (evenly spaced requests). */
  burst?: number;
  /** Clock in milliseconds; injectable for tests. Default `performance.now`. */
  now?: () => number;
  /** Waits `ms`, rejecting when `signal` aborts; injectable for tests. Default core `sleep`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A client-side rate limiter (token bucket, implemented as GCRA): each
 * {@link TokenBucket.acquire} reserves the next free slot at once, so
 * concurrent callers queue in call order and never exceed the rate.
 */
export class TokenBucket {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly now: () => number;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Theoretical arrival time of the next request, in `now()` milliseconds. */
  private tat = -Infinity;

  constructor(options: TokenBucketOptions) {
    const { requestsPerSecond, burst = 1 } = options;
    if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
      throw new ConfigError(`rateLimit.requestsPerSecond must be a positive number, got ${requestsPerSecond}`);
    }
    if (!Number.isInteger(burst) || burst < 1) throw new ConfigError(`rateLimit.burst must be a positive integer, got ${burst}`);
    this.intervalMs = 1000 / requestsPerSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
    this.now = options.now ?? (() => performance.now());
    this.wait = options.sleep ?? sleep;
  }

  /**
   * Resolves when the caller may send a request; the delay is `0` while
   * tokens are left. Rejects with `AbortError` if `signal` aborts while
   * waiting (the reserved slot is then lost, which only slows others down).
   */
  async acquire(signal?: AbortSignal): Promise<number> {
    const now = this.now();
    const tat = Math.max(this.tat, now);
    const delay = Math.max(0, tat - this.toleranceMs - now);
    this.tat = tat + this.intervalMs;
    if (delay > 0) await this.wait(delay, signal);
    return delay;
  }
}
