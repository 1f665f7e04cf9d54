import { AbortError, TimeoutError, UserstreamError } from './errors';
import { backoffDelay, retry } from './retry';

const retriable = () => new UserstreamError('flaky', { retriable: true, code: 'FLAKY' });
const fatal = () => new UserstreamError('broken', { retriable: false, code: 'BROKEN' });

describe('backoffDelay', () => {
  it('grows exponentially up to the cap without jitter', () => {
    const opts = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 'none' as const };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('draws full jitter between 0 and the cap', () => {
    expect(backoffDelay(3, { initialDelayMs: 100, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(3, { initialDelayMs: 100, random: () => 0 })).toBe(0);
  });
});

describe('retry', () => {
  it('retries retriable errors until success', async () => {
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 3) throw retriable();
        return 'ok';
      },
      { initialDelayMs: 1, maxAttempts: 5 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('stops at once on a non-retriable error and rethrows it unchanged', async () => {
    const error = fatal();
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw error;
      }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw retriable();
        },
        { maxAttempts: 3, initialDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ code: 'FLAKY' });
    expect(calls).toBe(3);
  });

  it('honours a delay hint such as Retry-After', async () => {
    const delays: number[] = [];
    let calls = 0;
    await retry(
      async () => {
        if (calls++ === 0) throw retriable();
        return 1;
      },
      { initialDelayMs: 1, delayHint: () => 20, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(delays).toEqual([20]);
  });

  it('throws TimeoutError when the deadline would pass', async () => {
    await expect(
      retry(
        async () => {
          throw retriable();
        },
        { maxAttempts: Infinity, initialDelayMs: 50, jitter: 'none', deadlineMs: 120 },
      ),
    ).rejects.toBeInstanceOf(TimeoutError);
  });

  it('rejects with AbortError when aborted while waiting', async () => {
    const controller = new AbortController();
    const promise = retry(
      async () => {
        throw retriable();
      },
      { initialDelayMs: 10_000, jitter: 'none', signal: controller.signal, maxAttempts: Infinity },
    );
    setTimeout(() => controller.abort(), 10);
    await expect(promise).rejects.toBeInstanceOf(AbortError);
  });
});
