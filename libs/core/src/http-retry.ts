import { backoffDelay, type RetryOptions } from './retry';

/**
 * HTTP statuses worth another attempt, for every userstream HTTP client:
 * 408 (request timeout), 425 (too early), 429 (too many requests) and the
 * 5xx answers except 501 (not implemented) and 505 (version not supported),
 * which the same request will always get again.
 */
export const RETRIABLE_STATUS_CODES: readonly number[] = [
  408, 425, 429, 500, 502, 503, 504, 506, 507, 508, 509, 510, 511, 520, 521, 522, 523, 524, 525, 526, 527, 529, 598, 599,
];

/** Whether an HTTP answer with `status` may succeed when sent again (see {@link RETRIABLE_STATUS_CODES}). */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Transport failures that a new connection may not meet (the codes Node's net, dns and got use). */
export const RETRIABLE_NETWORK_CODES: readonly string[] = [
  'ETIMEDOUT',
  'ECONNRESET',
  'EADDRINUSE',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
];

/**
 * The shared decision for a failed HTTP request (got's `RequestError` or
 * anything shaped like it): a `retriable` flag on the error or its cause wins
 * (a userstream error thrown by a hook), then the answer's status, then the
 * transport error code; got's timeouts are retriable.
 */
export function isRetriableHttpFailure(error: unknown): boolean {
  const e = error as { retriable?: unknown; cause?: unknown; response?: { statusCode?: unknown }; code?: unknown; name?: unknown } | null;
  if (typeof e !== 'object' || e === null) return false;
  if (typeof e.retriable === 'boolean') return e.retriable;
  const cause = e.cause as { retriable?: unknown } | undefined;
  if (typeof cause === 'object' && cause !== null && typeof cause.retriable === 'boolean') return cause.retriable;
  if (typeof e.response?.statusCode === 'number') return isRetriableStatus(e.response.statusCode);
  if (e.name === 'TimeoutError') return true;
  return typeof e.code === 'string' && RETRIABLE_NETWORK_CODES.includes(e.code);
}

/**
 * Reads an HTTP `Retry-After` value as a delay in milliseconds: either
 * delta-seconds (`"120"`, decimals tolerated) or an HTTP date, counted from
 * `now`. Returns `undefined` for a missing or unreadable value; a date in the
 * past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  // HTTP dates always name the month; this keeps Date.parse from reading "-5" as a year.
  if (!/[a-z]/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** What got passes to `retry.calculateDelay` (the fields this policy reads). */
export interface HttpRetryAttempt {
  /** 1 for the first failure. */
  attemptCount: number;
  error: unknown;
  /** The answer's `Retry-After`, in milliseconds, when it had one. */
  retryAfter?: number;
}

/** Options of {@link httpRetry}. */
export interface HttpRetryOptions extends Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor' | 'jitter' | 'random'> {
  /** Requests in all, the first included. `Infinity` for no limit (bound the call some other way). */
  maxAttempts: number;
  /** Overrides the shared decision ({@link isRetriableHttpFailure}). */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Last word on a retry the policy would make: return the delay to use, or
   * 0 to give up (e.g. a deadline). Also the place for logs and events.
   */
  beforeRetry?: (info: { error: unknown; attempt: number; delayMs: number }) => number;
}

/** The HTTP methods {@link httpRetry} retries. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'HEAD' | 'DELETE' | 'OPTIONS' | 'TRACE';

/** got's `retry` option (structurally: this library does not depend on got). */
export interface GotRetryOptions {
  limit: number;
  methods: HttpMethod[];
  statusCodes: number[];
  errorCodes: string[];
  calculateDelay: (attempt: HttpRetryAttempt) => number;
}

/**
 * got's `retry` option for the shared policy: at most `maxAttempts` requests,
 * retried on {@link isRetriableHttpFailure}, with core {@link backoffDelay}
 * (exponential, full jitter) raised to the server's `Retry-After` and capped
 * at `maxDelayMs` (default 30 000). Every method is retried: the callers send
 * idempotent requests (pages by seed, status reads, webhooks with an attempt
 * header).
 *
 * @example
 * ```ts
 * const http = got.extend({ retry: httpRetry({ maxAttempts: 5, initialDelayMs: 250 }), timeout: { request: 10_000 } });
 * ```
 */
export function httpRetry(options: HttpRetryOptions): GotRetryOptions {
  const shouldRetry = options.shouldRetry ?? ((error: unknown) => isRetriableHttpFailure(error));
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  return {
    limit: Math.max(0, options.maxAttempts - 1),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE'],
    statusCodes: [...RETRIABLE_STATUS_CODES],
    errorCodes: [...RETRIABLE_NETWORK_CODES],
    calculateDelay: ({ attemptCount, error, retryAfter }) => {
      if (attemptCount >= options.maxAttempts || !shouldRetry(error, attemptCount)) return 0;
      let delayMs = backoffDelay(attemptCount, { ...options, maxDelayMs });
      if (retryAfter !== undefined && retryAfter > 0) delayMs = Math.min(Math.max(retryAfter, delayMs), maxDelayMs);
      // got treats 0 as "give up": a retry always waits at least 1 ms.
      delayMs = Math.max(1, delayMs);
      return options.beforeRetry ? options.beforeRetry({ error, attempt: attemptCount, delayMs }) : delayMs;
    },
  };
}
