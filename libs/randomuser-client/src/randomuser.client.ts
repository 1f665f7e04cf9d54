// Over 400 lines: the client's one request path (got with retry, deadline, abort) with its page validation and typed results.
import http from 'node:http';
import https from 'node:https';
import {
  AbortError,
  ConfigError,
  OptionsChecker,
  RateLimiter,
  TimeoutError,
  TypedEmitter,
  componentLogger,
  describeError,
  httpRetry,
  isRetriableStatus,
  parseRetryAfter,
  type Logger,
} from '@userstream/core';
import got, { type Got } from 'got';
import { parseEnvelope } from './envelope.validator';
import { RandomUserError, RandomUserErrorCode } from './randomuser.errors';
import { MAX_PAGE, MAX_RESULTS_PER_PAGE, NATIONALITIES, RESULT_FIELDS, type Nationality, type RandomUserPage, type ResultField } from './randomuser.types';

/** How {@link RandomUserClient} retries a failed request. */
export interface RandomUserRetryOptions {
  /** Total requests per `fetchPage`, the first included. Default 5; `Infinity` needs a `deadlineMs`. */
  maxAttempts?: number;
  /** Upper bound of the first backoff delay (full jitter), in ms. Default 250. */
  initialDelayMs?: number;
  /** Upper bound of any delay, `Retry-After` included, in ms. Default 30 000. */
  maxDelayMs?: number;
  /** Overall budget of one `fetchPage`, requests and waits included, in ms. Default: none. */
  deadlineMs?: number;
}

/** Options of {@link RandomUserClient}. */
export interface RandomUserClientOptions {
  /** API endpoint. Default `https://randomuser.me/api/`. Query parameters in it are kept. */
  baseUrl?: string;
  /** Timeout of each request (connect to last byte), in ms. Default 10 000. */
  timeoutMs?: number;
  retry?: RandomUserRetryOptions;
  /** Client-side token bucket over all requests, retries included. Default: no limit. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /** pino-compatible logger; the client logs as `component: 'randomuser-client'`. Default: silent. */
  logger?: Logger;
  /** `User-Agent` header. Default `userstream-randomuser-client/0.1`. */
  userAgent?: string;
  /** Most sockets kept open per host by the keep-alive agent. Default 16. */
  maxSockets?: number;
}

/** Parameters of {@link RandomUserClient.fetchPage}. */
export interface FetchPageParams {
  /** Users in the page, 1 to 5000. Default 1. */
  results?: number;
  /** Seed that makes pages reproducible. Default: the API picks one (returned in `info.seed`). */
  seed?: string;
  /** Page of the seed, 1 to 10 000. Default 1. */
  page?: number;
  /** Restrict nationalities (codes are case-insensitive). */
  nat?: Nationality | Lowercase<Nationality> | string | readonly string[];
  /** Only these fields. */
  inc?: ResultField | readonly ResultField[];
  /** All fields but these. */
  exc?: ResultField | readonly ResultField[];
  /** Cancels the call, waits included; the promise then rejects with core `AbortError`. */
  signal?: AbortSignal;
}

/** Parameters of {@link RandomUserClient.pages}. */
export interface PagesParams extends Omit<FetchPageParams, 'page'> {
  /** First page. Default 1. */
  startPage?: number;
  /** Stop after this many pages. Default: until page 10 000, the API's last. */
  maxPages?: number;
}

/** Events of {@link RandomUserClient}, for metrics and tracing. */
export type RandomUserClientEvents = {
  /** A request returned a valid page. `attempt` is 1 for a first try. */
  'client.request_succeeded': { durationMs: number; status: number; results: number; attempt: number; page: number; seed: string };
  /**
   * A request failed. `willRetry` says whether another attempt follows (after
   * `delayMs`); `code` is a {@link RandomUserErrorCode} or `ABORTED`.
   */
  'client.request_failed': {
    code: string;
    status?: number;
    attempt: number;
    willRetry: boolean;
    delayMs?: number;
    durationMs?: number;
    message: string;
    page: number;
  };
};

/** What the requests of one `fetchPage` did, for its events and its final error. */
interface AttemptState {
  /** Requests sent so far. */
  requests: number;
  /** When the last request was sent (`performance.now()`). */
  startedAt: number;
  /** Timeout of the last request, in ms. */
  timeoutMs: number;
  /** Duration of the last request, in ms. */
  durationMs?: number;
  /** The last request's failure. */
  lastError?: RandomUserError;
  /** Whether the last failure was already reported with `willRetry: true`. */
  lastReported: boolean;
  /** The retry deadline ended the call. */
  deadline: boolean;
}

interface PreparedRequest {
  url: string;
  results: number;
  page: number;
  seed?: string;
}

const DEFAULT_BASE_URL = 'https://randomuser.me/api/';
const DEFAULT_USER_AGENT = 'userstream-randomuser-client/0.1';

function toList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : [...value];
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

const positive = (value: unknown) => (typeof value === 'number' && value > 0 ? undefined : `must be a positive number (got ${String(value)})`);

/**
 * A client of the randomuser.me API (1.4 response shape), built on got:
 * per-request timeout, retries with exponential backoff and full jitter on
 * network errors, timeouts, 429, 5xx and broken bodies (honouring
 * `Retry-After`), an optional deadline and rate limit, a keep-alive agent,
 * and cancellation through `AbortSignal`. The retries are got's own, under
 * the shared policy of `@userstream/core` (`httpRetry`); hooks add the rate
 * limit, the deadline and the envelope check to each attempt.
 *
 * Errors are {@link RandomUserError} (see {@link RandomUserErrorCode}),
 * `ConfigError` for invalid options or parameters, and core `AbortError`
 * when the signal aborts.
 *
 * @example
 * ```ts
 * const client = new RandomUserClient({ baseUrl: 'http://127.0.0.1:3100/api/', retry: { deadlineMs: 60_000 } });
 * client.events.on('client.request_failed', (e) => failures.inc({ code: e.code }));
 * for await (const page of client.pages({ seed: 'nightly', results: 5000, maxPages: 10 })) {
 *   await publish(page.results);
 * }
 * client.close();
 * ```
 */
export class RandomUserClient {
  /** Typed events: `client.request_succeeded`, `client.request_failed`. */
  readonly events = new TypedEmitter<RandomUserClientEvents>();
  private readonly baseUrl: URL;
  private readonly timeoutMs: number;
  private readonly retryOptions: Required<Omit<RandomUserRetryOptions, 'deadlineMs'>> & { deadlineMs?: number };
  private readonly limiter?: RateLimiter;
  private readonly log: Logger;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly http: Got;

  /** @throws ConfigError when an option is invalid. */
  constructor(options: RandomUserClientOptions = {}) {
    try {
      this.baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    } catch {
      throw new ConfigError(`baseUrl must be an absolute URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (this.baseUrl.protocol !== 'http:' && this.baseUrl.protocol !== 'https:') {
      throw new ConfigError(`baseUrl must be an http or https URL, got ${this.baseUrl.protocol}`);
    }
    const check = new OptionsChecker('invalid randomuser client options');
    this.timeoutMs = check.custom('timeoutMs', options.timeoutMs, positive) ?? 10_000;
    const r = options.retry ?? {};
    this.retryOptions = {
      maxAttempts:
        check.custom('retry.maxAttempts', r.maxAttempts, (n) =>
          n === Infinity || (Number.isInteger(n) && n >= 1) ? undefined : `must be an integer of at least 1 or Infinity (got ${n})`,
        ) ?? 5,
      initialDelayMs: check.number('retry.initialDelayMs', r.initialDelayMs, { min: 0 }, 250),
      maxDelayMs: check.number('retry.maxDelayMs', r.maxDelayMs, { min: 0 }, 30_000),
      deadlineMs: check.custom('retry.deadlineMs', r.deadlineMs, positive),
    };
    if (r.maxAttempts === Infinity && r.deadlineMs === undefined) check.add('retry.maxAttempts', 'Infinity needs a retry.deadlineMs');
    if (options.rateLimit) {
      check.custom('rateLimit.requestsPerSecond', options.rateLimit.requestsPerSecond, (n) =>
        n > 0 && Number.isFinite(n) ? undefined : `must be a positive number (got ${n})`,
      );
      check.int('rateLimit.burst', options.rateLimit.burst, { min: 1 });
    }
    check.done();
    if (options.rateLimit) this.limiter = new RateLimiter({ perSecond: options.rateLimit.requestsPerSecond, burst: options.rateLimit.burst ?? 1 });
    this.log = componentLogger(options.logger, 'randomuser-client');
    const maxSockets = options.maxSockets ?? 16;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
    this.http = got.extend({
      agent: { http: this.httpAgent, https: this.httpsAgent },
      headers: { 'user-agent': options.userAgent ?? DEFAULT_USER_AGENT, accept: 'application/json' },
      responseType: 'text',
      throwHttpErrors: false,
    });
  }

  /**
   * Fetches one page, retrying transient failures. The records are returned
   * as the API sent them (see {@link RandomUserResult}); the envelope is
   * checked.
   *
   * @throws RandomUserError after the last attempt (its `attempts` says how many were made)
   * @throws ConfigError for invalid parameters (no request is made)
   * @throws AbortError when `signal` aborts
   *
   * @example
   * ```ts
   * const page = await client.fetchPage({ results: 500, seed: 'abc', page: 2, nat: ['us', 'gb'] });
   * console.log(page.info.seed, page.results.length);
   * ```
   */
  async fetchPage(params: FetchPageParams = {}): Promise<RandomUserPage> {
    const request = this.prepare(params);
    const { signal } = params;
    if (signal?.aborted) throw new AbortError('randomuser request aborted', { cause: signal.reason });
    const { maxAttempts, initialDelayMs, maxDelayMs, deadlineMs } = this.retryOptions;
    const deadlineAt = deadlineMs === undefined ? Infinity : Date.now() + deadlineMs;
    // What the requests actually sent did; an attempt cut off by the deadline before sending is no request.
    const state: AttemptState = { requests: 0, startedAt: 0, timeoutMs: this.timeoutMs, lastReported: false, deadline: false };
    // Set by the afterResponse hook of the attempt that succeeds.
    const answer: { page?: RandomUserPage; status: number } = { status: 200 };
    try {
      await this.http(request.url, {
        ...(signal ? { signal } : {}),
        retry: httpRetry({
          maxAttempts,
          initialDelayMs,
          maxDelayMs,
          shouldRetry: (error) => !signal?.aborted && this.failure(error, request, state).retriable,
          beforeRetry: ({ error, attempt, delayMs }) => {
            const e = this.failure(error, request, state);
            if (!(e instanceof RandomUserError)) return 0;
            if (deadlineAt - Date.now() <= delayMs) {
              // The wait would pass the deadline: give up now, with the last failure as the reason.
              state.deadline = true;
              return 0;
            }
            state.lastReported = true;
            this.log.warn(
              { code: e.code, status: e.status, attempt, delayMs, page: request.page, err: describeError(e) },
              'randomuser request failed, retrying',
            );
            this.events.emitLazy('client.request_failed', () => ({
              code: e.code,
              status: e.status,
              attempt,
              willRetry: true,
              delayMs,
              durationMs: state.durationMs,
              message: e.message,
              page: request.page,
            }));
            // A listener may have aborted: then do not start the wait at all.
            return signal?.aborted ? 0 : delayMs;
          },
        }),
        hooks: {
          beforeRequest: [
            async (options) => {
              if (this.limiter) await this.limiter.take(1, signal);
              const remaining = deadlineAt - Date.now();
              if (remaining <= 0) {
                state.deadline = true;
                // Not retriable: the deadline is over; the final error reports the last real failure.
                throw new TimeoutError('retry deadline reached before the next request', { retriable: false });
              }
              state.timeoutMs = Math.max(1, Math.min(this.timeoutMs, remaining));
              options.timeout = { request: state.timeoutMs };
              state.requests++;
              state.durationMs = undefined;
              state.lastReported = false;
              state.startedAt = performance.now();
            },
          ],
          afterResponse: [
            (response) => {
              state.durationMs = performance.now() - state.startedAt;
              const status = response.statusCode;
              const text = response.body as string;
              if (status < 200 || status >= 300) throw this.httpError(status, text, request, response.headers['retry-after']);
              answer.page = parseEnvelope(text, { status, url: request.url, results: request.results, page: request.page, seed: request.seed });
              answer.status = status;
              return response;
            },
          ],
        },
      });
    } catch (error) {
      throw this.finalError(error, request, state, signal);
    }
    const result = answer.page as RandomUserPage;
    const okStatus = answer.status;
    const durationMs = state.durationMs ?? 0;
    const attempt = state.requests;
    this.log.debug(
      { status: okStatus, durationMs: Math.round(durationMs), results: result.results.length, page: request.page, attempt },
      'randomuser page fetched',
    );
    this.events.emitLazy('client.request_succeeded', () => ({
      durationMs,
      status: okStatus,
      results: result.results.length,
      attempt,
      page: request.page,
      seed: result.info.seed,
    }));
    return result;
  }

  /**
   * Consecutive pages of one seed (`startPage`, `startPage + 1`, ...), each
   * fetched with {@link RandomUserClient.fetchPage} when the loop asks for it.
   * Without a `seed` the first page's `info.seed` is used for the rest. Ends
   * after `maxPages` pages or page 10 000; a failure ends it with the error.
   *
   * @example
   * ```ts
   * for await (const page of client.pages({ seed: 'abc', results: 5000, maxPages: 3 })) handle(page);
   * ```
   */
  async *pages(params: PagesParams = {}): AsyncGenerator<RandomUserPage, void, undefined> {
    const { startPage = 1, maxPages, ...rest } = params;
    const check = new OptionsChecker('invalid pages parameters');
    check.int('startPage', startPage, { min: 1, max: MAX_PAGE });
    check.int('maxPages', maxPages, { min: 0 });
    check.done();
    let seed = rest.seed;
    for (let page = startPage, n = 0; page <= MAX_PAGE && (maxPages === undefined || n < maxPages); page++, n++) {
      const result = await this.fetchPage({ ...rest, seed, page });
      seed ??= result.info.seed;
      yield result;
    }
  }

  /** Closes the keep-alive sockets. In-flight requests fail; later requests open new sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private prepare(params: FetchPageParams): PreparedRequest {
    const results = params.results ?? 1;
    const page = params.page ?? 1;
    const check = new OptionsChecker('invalid fetchPage parameters');
    check.int('results', results, { min: 1, max: MAX_RESULTS_PER_PAGE });
    check.int('page', page, { min: 1, max: MAX_PAGE });
    if (params.seed !== undefined && (typeof params.seed !== 'string' || params.seed === ''))
      check.add('seed', `must be a non-empty string (got ${JSON.stringify(params.seed)})`);
    check.done();
    const nats = toList(params.nat).map((n) => n.toUpperCase());
    const unknownNat = nats.find((n) => !(NATIONALITIES as readonly string[]).includes(n));
    if (unknownNat !== undefined) throw new ConfigError(`nat: unknown nationality "${unknownNat}" (known: ${NATIONALITIES.join(', ')})`);
    const inc = toList(params.inc).map((f) => f.toLowerCase());
    const exc = toList(params.exc).map((f) => f.toLowerCase());
    const unknownField = [...inc, ...exc].find((f) => !(RESULT_FIELDS as readonly string[]).includes(f));
    if (unknownField !== undefined) throw new ConfigError(`inc/exc: unknown field "${unknownField}" (known: ${RESULT_FIELDS.join(', ')})`);

    const url = new URL(this.baseUrl);
    url.searchParams.set('results', String(results));
    url.searchParams.set('page', String(page));
    if (params.seed !== undefined) url.searchParams.set('seed', params.seed);
    if (nats.length > 0) url.searchParams.set('nat', nats.join(','));
    if (inc.length > 0) url.searchParams.set('inc', inc.join(','));
    if (exc.length > 0) url.searchParams.set('exc', exc.join(','));
    return { url: url.toString(), results, page, seed: params.seed };
  }

  private httpError(status: number, text: string, request: PreparedRequest, retryAfter: string | string[] | undefined): RandomUserError {
    let apiMessage: string | undefined;
    try {
      const body: unknown = JSON.parse(text);
      if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string') apiMessage = (body as { error: string }).error;
    } catch {
      // Not JSON (a proxy's HTML page): the snippet tells.
    }
    const retryAfterMs = parseRetryAfter(retryAfter);
    return new RandomUserError(`randomuser API answered HTTP ${status}${apiMessage ? `: ${apiMessage}` : ''}`, {
      code: RandomUserErrorCode.HTTP,
      retriable: isRetriableStatus(status),
      details: {
        status,
        url: request.url,
        ...(apiMessage !== undefined ? { apiMessage } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        snippet: text.length <= 200 ? text : `${text.slice(0, 199)}…`,
      },
    });
  }

  /**
   * What one failed attempt was, as a {@link RandomUserError} (remembered as
   * the last failure), or the deadline's or an abort's own error. got wraps
   * what the hooks throw; the cause is the error thrown.
   */
  private failure(error: unknown, request: PreparedRequest, state: AttemptState): RandomUserError | TimeoutError | AbortError {
    if (state.requests > 0) state.durationMs ??= performance.now() - state.startedAt;
    const cause = (error as { cause?: unknown }).cause;
    const own = error instanceof RandomUserError || error instanceof TimeoutError || error instanceof AbortError ? error : cause;
    if (own instanceof TimeoutError || own instanceof AbortError) return own;
    if (own instanceof RandomUserError) return (state.lastError = own);
    const code = (error as { code?: unknown }).code;
    if ((error as { name?: unknown }).name === 'TimeoutError') {
      return (state.lastError = new RandomUserError(`randomuser request timed out after ${state.timeoutMs} ms`, {
        code: RandomUserErrorCode.TIMEOUT,
        retriable: true,
        cause: error,
        details: { url: request.url, timeoutMs: state.timeoutMs },
      }));
    }
    return (state.lastError = new RandomUserError(`randomuser request failed: ${describeError(error)}`, {
      code: RandomUserErrorCode.NETWORK,
      retriable: true,
      cause: error,
      details: { url: request.url, ...(typeof code === 'string' ? { errorCode: code } : {}) },
    }));
  }

  private finalError(thrown: unknown, request: PreparedRequest, state: AttemptState, signal: AbortSignal | undefined): unknown {
    const attempts = state.requests;
    let error: unknown = signal?.aborted ? new AbortError('randomuser request aborted', { cause: thrown }) : this.failure(thrown, request, state);
    if (state.deadline && !(error instanceof AbortError)) error = new TimeoutError('retry deadline reached', { cause: state.lastError });
    const emitFailed = (code: string, status: number | undefined, message: string) =>
      this.events.emitLazy('client.request_failed', () => ({
        code,
        status,
        attempt: attempts,
        willRetry: false,
        durationMs: state.durationMs,
        message,
        page: request.page,
      }));
    const times = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    if (error instanceof AbortError) {
      emitFailed(error.code, undefined, error.message);
      return error;
    }
    if (error instanceof RandomUserError) {
      emitFailed(error.code, error.status, error.message);
      return new RandomUserError(`${error.message} (gave up after ${times})`, {
        code: error.code,
        retriable: error.retriable,
        cause: error,
        details: { ...error.details, attempts },
      });
    }
    if (error instanceof TimeoutError) {
      // The deadline: the retry policy saw the next wait would pass it, or it passed before the next request.
      const last = state.lastError;
      if (last && !state.lastReported) emitFailed(last.code, last.status, last.message);
      return new RandomUserError(
        `randomuser request deadline of ${this.retryOptions.deadlineMs} ms reached after ${times}${last ? `; last failure: ${last.message}` : ''}`,
        {
          code: RandomUserErrorCode.DEADLINE,
          retriable: true,
          cause: last ?? error,
          details: {
            attempts,
            deadlineMs: this.retryOptions.deadlineMs,
            url: request.url,
            ...(last ? { lastCode: last.code } : {}),
            ...(last?.status !== undefined ? { status: last.status } : {}),
          },
        },
      );
    }
    emitFailed('UNKNOWN', undefined, describeError(error));
    return error;
  }
}
