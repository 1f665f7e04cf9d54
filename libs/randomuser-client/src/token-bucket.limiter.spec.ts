import { AbortError, ConfigError, sleep } from '@userstream/core';
import { TokenBucket } from './token-bucket.limiter';

/** A clock that only moves when the bucket waits, so delays are exact. */
function fakeClock() {
  let now = 0;
  const waits: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    advance: (ms: number) => (now += ms),
    waits,
  };
}

describe('TokenBucket', () => {
  it('spaces requests evenly at the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 10, now: clock.now, sleep: clock.sleep });
    const delays = [];
    for (let i = 0; i < 4; i++) delays.push(await bucket.acquire());
    expect(delays).toEqual([0, 100, 100, 100]);
  });

  it('allows a burst after a quiet period, then the rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 4, burst: 3, now: clock.now, sleep: clock.sleep });
    const delays = [];
    for (let i = 0; i < 5; i++) delays.push(await bucket.acquire());
    expect(delays).toEqual([0, 0, 0, 250, 250]);
    clock.advance(10_000);
    expect(await bucket.acquire()).toBe(0);
  });

  it('queues concurrent callers in call order', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 2, now: clock.now, sleep: async (ms) => void clock.waits.push(ms) });
    const delays = await Promise.all([bucket.acquire(), bucket.acquire(), bucket.acquire()]);
    expect(delays).toEqual([0, 500, 1000]);
  });

  it('rejects with AbortError when aborted while waiting', async () => {
    const bucket = new TokenBucket({ requestsPerSecond: 0.01 });
    await bucket.acquire();
    const controller = new AbortController();
    const waiting = bucket.acquire(controller.signal);
    await sleep(5);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
  });

  it('rejects invalid settings', () => {
    expect(() => new TokenBucket({ requestsPerSecond: -1 })).toThrow(ConfigError);
    expect(() => new TokenBucket({ requestsPerSecond: 1, burst: 0 })).toThrow(ConfigError);
  });
});
