import { AbortError, ConfigError } from './errors';
import { RateLimiter } from './rate-limiter';

/** A clock whose sleeps return at once and move the time on. */
function instantClock() {
  let t = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw new AbortError();
      waits.push(ms);
      t += ms;
    },
  };
}

describe('RateLimiter', () => {
  it('spaces single takes evenly at the rate', async () => {
    const clock = instantClock();
    const limiter = new RateLimiter({ perSecond: 10, ...clock });
    for (let i = 0; i < 4; i++) await limiter.take();
    expect(clock.waits.map(Math.round)).toEqual([100, 100, 100]);
  });

  it('lets a burst through at once, then spaces takes of n units at the rate', async () => {
    const clock = instantClock();
    const limiter = new RateLimiter({ perSecond: 100, burst: 10, ...clock });
    expect(await limiter.take(10)).toBe(0);
    expect(await limiter.take(10)).toBeCloseTo(100);
    expect(await limiter.take(5)).toBeCloseTo(50);
    expect(clock.now()).toBeCloseTo(150);
  });

  it('forgets unused time beyond one burst', async () => {
    const clock = instantClock();
    const limiter = new RateLimiter({ perSecond: 10, burst: 5, ...clock });
    await limiter.take(5);
    await clock.sleep(60_000);
    // Only 5 units were saved up by the quiet minute, not 600.
    expect(await limiter.take(5)).toBe(0);
    expect(await limiter.take(5)).toBeCloseTo(500);
  });

  it('serves concurrent callers in call order without exceeding the rate', async () => {
    const clock = { now: () => 0, waits: [] as number[] };
    const limiter = new RateLimiter({ perSecond: 2, now: clock.now, sleep: async (ms) => void clock.waits.push(ms) });
    await Promise.all([limiter.take(), limiter.take(), limiter.take()]);
    expect(clock.waits).toEqual([500, 1000]);
  });

  it('rejects with AbortError when the signal aborts while waiting', async () => {
    const limiter = new RateLimiter({ perSecond: 0.01 });
    await limiter.take();
    const controller = new AbortController();
    const waiting = limiter.take(1, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
  });

  it('refuses a rate that is not a finite positive number, and a burst below 1', () => {
    expect(() => new RateLimiter({ perSecond: 0 })).toThrow('rate must be a positive number (got 0)');
    expect(() => new RateLimiter({ perSecond: -1 })).toThrow(ConfigError);
    expect(() => new RateLimiter({ perSecond: Infinity })).toThrow(ConfigError);
    expect(() => new RateLimiter({ perSecond: 1, burst: 0 })).toThrow('burst must be at least 1 (got 0)');
  });
});
