import { AbortError } from '@userstream/core';
import { RecordRateLimiter } from './record-rate.limiter';
import { InstantClock } from '../../test/support/run-fakes';

describe('RecordRateLimiter', () => {
  it('lets a burst through at once, then spaces records at the rate', async () => {
    const clock = new InstantClock();
    const limiter = new RecordRateLimiter(100, 10, clock);
    expect(await limiter.take(10)).toBe(0);
    expect(await limiter.take(10)).toBeCloseTo(100);
    expect(await limiter.take(5)).toBeCloseTo(50);
    expect(clock.now()).toBeCloseTo(150);
  });

  it('forgets unused time beyond one burst', async () => {
    const clock = new InstantClock();
    const limiter = new RecordRateLimiter(10, 5, clock);
    await limiter.take(5);
    await clock.sleep(60_000);
    // Only 5 records were saved up by the quiet minute, not 600.
    expect(await limiter.take(5)).toBe(0);
    expect(await limiter.take(5)).toBeCloseTo(500);
  });

  it('rejects with AbortError when the signal aborts', async () => {
    const clock = new InstantClock();
    const limiter = new RecordRateLimiter(1, 1, clock);
    await limiter.take(1);
    const controller = new AbortController();
    controller.abort();
    await expect(limiter.take(1, controller.signal)).rejects.toBeInstanceOf(AbortError);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RecordRateLimiter(0, 1)).toThrow('rate must be a positive number (got 0)');
  });
});
