import { policies, type types } from 'cassandra-driver';

type OperationInfo = policies.retry.OperationInfo;
type DecisionInfo = policies.retry.DecisionInfo;

/**
 * A driver retry policy for idempotent upserts: one immediate retry inside the
 * driver for the failures that are usually momentary (write timeout, an
 * unavailable replica set, a request error on one connection), then the error
 * goes up to the sink, which retries with backoff (see `WriteOptions`). Every
 * decision requires the statement to be idempotent; the sink's client marks
 * all its statements so (`queryOptions.isIdempotent`).
 *
 * The driver's default policy rethrows write timeouts (it cannot know the
 * write is safe to repeat) and retries request errors regardless of
 * idempotence; for upserts keyed by the user id both are the wrong way round.
 *
 * @example
 * ```ts
 * new Client({ ...options, policies: { retry: new IdempotentWriteRetryPolicy() }, queryOptions: { isIdempotent: true } });
 * ```
 */
export class IdempotentWriteRetryPolicy extends policies.retry.RetryPolicy {
  /** Driver-level retries per request before the sink's own backoff takes over. */
  constructor(private readonly maxDriverRetries = 1) {
    super();
  }

  override onWriteTimeout(info: OperationInfo, consistency: types.consistencies): DecisionInfo {
    if (!this.mayRetry(info)) return this.rethrowResult();
    // The coordinator is alive; the replicas were slow. Same host, same consistency.
    return this.retryResult(consistency, true);
  }

  override onUnavailable(info: OperationInfo, consistency: types.consistencies): DecisionInfo {
    if (!this.mayRetry(info)) return this.rethrowResult();
    // Another coordinator may see the replicas alive.
    return this.retryResult(consistency, false);
  }

  override onReadTimeout(info: OperationInfo, consistency: types.consistencies): DecisionInfo {
    if (!this.mayRetry(info)) return this.rethrowResult();
    return this.retryResult(consistency, true);
  }

  override onRequestError(info: OperationInfo, consistency: types.consistencies): DecisionInfo {
    if (!this.mayRetry(info)) return this.rethrowResult();
    // Connection-level failure (closed socket, client timeout, overloaded): try the next host.
    return this.retryResult(consistency, false);
  }

  private mayRetry(info: OperationInfo): boolean {
    return info.nbRetry < this.maxDriverRetries && info.executionOptions.isIdempotent();
  }
}
