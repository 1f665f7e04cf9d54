import { policies, types } from 'cassandra-driver';
import { IdempotentWriteRetryPolicy } from './retry.policy';

const { retry: RETRY, rethrow: RETHROW } = { retry: 1, rethrow: 0 };
const info = (nbRetry: number, idempotent = true) =>
  ({ query: 'INSERT', nbRetry, executionOptions: { isIdempotent: () => idempotent } }) as unknown as policies.retry.OperationInfo;
const q = types.consistencies.localQuorum;

describe('IdempotentWriteRetryPolicy', () => {
  const policy = new IdempotentWriteRetryPolicy();

  it('retries an idempotent write once on write timeout, unavailable and request errors', () => {
    expect(policy.onWriteTimeout(info(0), q)).toMatchObject({ decision: RETRY, consistency: q, useCurrentHost: true });
    expect(policy.onUnavailable(info(0), q)).toMatchObject({ decision: RETRY, useCurrentHost: false });
    expect(policy.onRequestError(info(0), q)).toMatchObject({ decision: RETRY, useCurrentHost: false });
    expect(policy.onReadTimeout(info(0), q)).toMatchObject({ decision: RETRY });
  });

  it('hands the error to the sink after that, and never repeats a non-idempotent statement', () => {
    expect(policy.onWriteTimeout(info(1), q).decision).toBe(RETHROW);
    expect(policy.onRequestError(info(1), q).decision).toBe(RETHROW);
    expect(policy.onWriteTimeout(info(0, false), q).decision).toBe(RETHROW);
    expect(policy.onUnavailable(info(0, false), q).decision).toBe(RETHROW);
  });

  it('is a driver RetryPolicy', () => {
    expect(policy).toBeInstanceOf(policies.retry.RetryPolicy);
  });
});
