/**
 * `@userstream/randomuser-client`: a robust client of the randomuser.me API
 * (response shape 1.4) with retries, backoff, `Retry-After`, deadlines, rate
 * limiting, cancellation and envelope validation.
 *
 * @packageDocumentation
 */
export {
  RandomUserClient,
  type FetchPageParams,
  type PagesParams,
  type RandomUserClientEvents,
  type RandomUserClientOptions,
  type RandomUserRetryOptions,
} from './randomuser.client';
export { RandomUserError, RandomUserErrorCode, type RandomUserErrorOptions } from './randomuser.errors';
/** The shared HTTP retry policy and `Retry-After` reader, re-exported from `@userstream/core` for this package's users. */
export { isRetriableStatus, parseRetryAfter } from '@userstream/core';
export {
  MAX_PAGE,
  MAX_RESULTS_PER_PAGE,
  NATIONALITIES,
  RESULT_FIELDS,
  type Nationality,
  type RandomUserInfo,
  type RandomUserPage,
  type RandomUserResult,
  type ResultField,
} from './randomuser.types';
