import { UserstreamError } from './errors';
import { httpRetry, isRetriableHttpFailure, isRetriableStatus, parseRetryAfter, RETRIABLE_STATUS_CODES } from './http-retry';

describe('isRetriableStatus', () => {
  it('retries 408, 425, 429 and 5xx but 501 and 505', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) expect(isRetriableStatus(status)).toBe(true);
    for (const status of [200, 301, 400, 401, 403, 404, 409, 413, 422, 501, 505]) expect(isRetriableStatus(status)).toBe(false);
    expect(RETRIABLE_STATUS_CODES.every(isRetriableStatus)).toBe(true);
  });
});

describe('isRetriableHttpFailure', () => {
  it('decides on a retriable flag first, then the status, then the transport code', () => {
    expect(isRetriableHttpFailure(new UserstreamError('bad body', { retriable: true }))).toBe(true);
    expect(isRetriableHttpFailure({ cause: new UserstreamError('refused', { retriable: false }), response: { statusCode: 503 } })).toBe(false);
    expect(isRetriableHttpFailure({ response: { statusCode: 503 } })).toBe(true);
    expect(isRetriableHttpFailure({ response: { statusCode: 400 } })).toBe(false);
    expect(isRetriableHttpFailure({ name: 'TimeoutError', code: 'ETIMEDOUT' })).toBe(true);
    expect(isRetriableHttpFailure({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isRetriableHttpFailure({ code: 'ERR_INVALID_URL' })).toBe(false);
    expect(isRetriableHttpFailure('boom')).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores missing or unreadable values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('httpRetry', () => {
  const status = (statusCode: number) => ({ response: { statusCode } });

  it('allows maxAttempts requests in all and backs off exponentially, capped', () => {
    const policy = httpRetry({ maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 250, jitter: 'none' });
    expect(policy.limit).toBe(3);
    expect(policy.methods).toContain('POST');
    const delays = [1, 2, 3, 4].map((attemptCount) => policy.calculateDelay({ attemptCount, error: status(503) }));
    expect(delays).toEqual([100, 200, 250, 0]);
  });

  it('gives up at once on an error the policy does not retry', () => {
    const policy = httpRetry({ maxAttempts: 5 });
    expect(policy.calculateDelay({ attemptCount: 1, error: status(404) })).toBe(0);
    expect(policy.calculateDelay({ attemptCount: 1, error: new UserstreamError('x', { retriable: false }) })).toBe(0);
  });

  it('waits at least what Retry-After asks, within maxDelayMs', () => {
    const policy = httpRetry({ maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 5_000, jitter: 'none' });
    expect(policy.calculateDelay({ attemptCount: 1, error: status(429), retryAfter: 2_000 })).toBe(2_000);
    expect(policy.calculateDelay({ attemptCount: 1, error: status(429), retryAfter: 60_000 })).toBe(5_000);
    expect(policy.calculateDelay({ attemptCount: 1, error: status(429), retryAfter: 10 })).toBe(100);
  });

  it('lets beforeRetry see each retry and veto it', () => {
    const seen: Array<{ attempt: number; delayMs: number }> = [];
    const policy = httpRetry({
      maxAttempts: 5,
      initialDelayMs: 100,
      jitter: 'none',
      beforeRetry: ({ attempt, delayMs }) => {
        seen.push({ attempt, delayMs });
        return attempt >= 2 ? 0 : delayMs;
      },
    });
    expect(policy.calculateDelay({ attemptCount: 1, error: status(500) })).toBe(100);
    expect(policy.calculateDelay({ attemptCount: 2, error: status(500) })).toBe(0);
    expect(seen).toEqual([
      { attempt: 1, delayMs: 100 },
      { attempt: 2, delayMs: 200 },
    ]);
  });
});
