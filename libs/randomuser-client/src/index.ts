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
export { RandomUserError, RandomUserErrorCode, isRetriableStatus, type RandomUserErrorOptions } from './randomuser.errors';
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
export { parseRetryAfter } from './retry-after.parser';
export { TokenBucket, type TokenBucketOptions } from './token-bucket.limiter';
