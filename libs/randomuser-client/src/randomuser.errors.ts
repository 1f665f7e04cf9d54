import { UserstreamError, type UserstreamErrorOptions } from '@userstream/core';

/**
 * Stable codes of {@link RandomUserError}:
 * - `API_HTTP_ERROR`: a non-2xx status; retriable for 408, 425, 429 and 5xx except 501/505.
 * - `API_BAD_BODY`: the body is not JSON, is cut short, or is not a `{ results, info }` envelope (retriable).
 * - `API_ERROR_BODY`: a 2xx answer whose body is the API's `{"error": "..."}` (retriable: the real API sends it when overloaded).
 * - `API_NETWORK`: the connection failed or broke (retriable).
 * - `API_TIMEOUT`: one request took longer than `timeoutMs` (retriable).
 * - `API_DEADLINE`: the retry deadline (`retry.deadlineMs`) ran out; `cause` is the last failure (retriable).
 */
export const RandomUserErrorCode = {
  HTTP: 'API_HTTP_ERROR',
  BAD_BODY: 'API_BAD_BODY',
  ERROR_BODY: 'API_ERROR_BODY',
  NETWORK: 'API_NETWORK',
  TIMEOUT: 'API_TIMEOUT',
  DEADLINE: 'API_DEADLINE',
} as const;

/** One of the {@link RandomUserErrorCode} values. */
export type RandomUserErrorCode = (typeof RandomUserErrorCode)[keyof typeof RandomUserErrorCode];

/** Options of {@link RandomUserError}; `code` is required. */
export interface RandomUserErrorOptions extends Omit<UserstreamErrorOptions, 'code'> {
  code: RandomUserErrorCode;
}

/**
 * A failed call to the randomuser.me API. `details` carries what is known:
 * `status` (HTTP status), `snippet` (the first 200 characters of a bad body),
 * `apiMessage` (the API's own error text), `retryAfterMs` (from
 * `Retry-After`), `url`, and on the error `fetchPage` finally throws,
 * `attempts` (how many requests were made).
 *
 * @example
 * ```ts
 * try {
 *   await client.fetchPage({ results: 100 });
 * } catch (error) {
 *   if (error instanceof RandomUserError && error.code === 'API_HTTP_ERROR') console.log(error.status, error.attempts);
 * }
 * ```
 */
export class RandomUserError extends UserstreamError {
  declare readonly code: RandomUserErrorCode;

  constructor(message: string, options: RandomUserErrorOptions) {
    super(message, options);
  }

  /** The HTTP status of the answer, when there was one. */
  get status(): number | undefined {
    const status = this.details['status'];
    return typeof status === 'number' ? status : undefined;
  }

  /** Number of requests made before giving up (set on the error `fetchPage` throws). */
  get attempts(): number | undefined {
    const attempts = this.details['attempts'];
    return typeof attempts === 'number' ? attempts : undefined;
  }

  /** The delay the server asked for with `Retry-After`, in milliseconds. */
  get retryAfterMs(): number | undefined {
    const ms = this.details['retryAfterMs'];
    return typeof ms === 'number' ? ms : undefined;
  }
}
