import { retryDelayMs } from './job.definition';

const MIN = 60_000;

describe('retryDelayMs', () => {
  it('follows the reference policy: 2 min, doubling, at most 10 min', () => {
    const policy = { retries: 5, retryDelayMs: 2 * MIN, exponentialBackoff: true, maxRetryDelayMs: 10 * MIN };
    expect([1, 2, 3, 4, 5].map((retry) => retryDelayMs(policy, retry) / MIN)).toEqual([2, 4, 8, 10, 10]);
  });

  it('keeps the delay constant without exponential backoff, still capped', () => {
    expect(retryDelayMs({ retries: 3, retryDelayMs: 5000, exponentialBackoff: false, maxRetryDelayMs: 60_000 }, 3)).toBe(5000);
    expect(retryDelayMs({ retries: 3, retryDelayMs: 5000, exponentialBackoff: false, maxRetryDelayMs: 1000 }, 1)).toBe(1000);
  });
});
