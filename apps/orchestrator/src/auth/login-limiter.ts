/** Options for {@link LoginLimiter}. */
export interface LoginLimiterOptions {
  /** Failures per key before attempts are refused. */
  maxFailures: number;
  /** First lock-out, in milliseconds; doubles with every further failure. */
  lockoutMs: number;
  /** Longest lock-out, in milliseconds. Default 15 minutes. */
  maxLockoutMs?: number;
  /** Keys remembered at most (the oldest are forgotten first). Default 10 000. */
  maxKeys?: number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
}

/**
 * Slows down password guessing: failed logins are counted per key (the
 * client address and the user name are separate keys); after `maxFailures`
 * a key is locked for `lockoutMs`, doubling with every further failure up to
 * `maxLockoutMs`. A success clears the keys it used. Memory is bounded by
 * `maxKeys`. In memory, per process: a restart forgets.
 */
export class LoginLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly maxLockoutMs: number;
  private readonly maxKeys: number;

  constructor(private readonly options: LoginLimiterOptions) {
    this.maxLockoutMs = options.maxLockoutMs ?? 15 * 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds until any of `keys` may try again; 0 when none is locked. */
  retryAfterMs(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry && entry.lockedUntil > now) wait = Math.max(wait, entry.lockedUntil - now);
    }
    return wait;
  }

  /** Counts a failure against every key; returns the longest lock-out now in force, in ms. */
  fail(keys: string[], now = Date.now()): number {
    for (const key of keys) {
      const entry = this.entries.get(key) ?? { failures: 0, lockedUntil: 0 };
      entry.failures += 1;
      const over = entry.failures - this.options.maxFailures;
      if (over >= 0) entry.lockedUntil = now + Math.min(this.maxLockoutMs, this.options.lockoutMs * 2 ** Math.min(over, 30));
      // Re-inserted, so the map's order is least recently failed first.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
    return this.retryAfterMs(keys, now);
  }

  /** Forgets the failures of `keys` (after a successful login). */
  succeed(keys: string[]): void {
    for (const key of keys) this.entries.delete(key);
  }
}
