import { describeError, httpRetry, isRetriableStatus, UserstreamError } from '@userstream/core';
import { INGEST_PATHS, isRunStatus, type RunRequest, type RunStatus } from '@userstream/ingest-contract';
import got, { type Got, type Response } from 'got';

/** The ingest app's run API, as the reference job uses it. */
export abstract class IngestApi {
  /** Starts a run (`POST /runs`). Throws {@link IngestRejectedError} when ingest refuses the parameters. */
  abstract startRun(params: RunRequest, signal?: AbortSignal): Promise<RunStatus>;
  /** The run's status (`GET /runs/:id`). */
  abstract getRun(id: string, signal?: AbortSignal): Promise<RunStatus>;
  /** Cancels the run (`DELETE /runs/:id`). */
  abstract cancelRun(id: string): Promise<RunStatus>;
}

/** A request to the ingest app failed; retriable when the network or a retriable status was the cause. */
export class IngestError extends UserstreamError {}

/** Ingest answered 400: the parameters are wrong, and sending them again will not help. */
export class IngestRejectedError extends UserstreamError {
  constructor(message: string) {
    super(message, { code: 'INGEST_REJECTED', retriable: false });
  }
}

/** Options for {@link IngestClient}. */
export interface IngestClientOptions {
  /** Base URL of the ingest app, e.g. `http://127.0.0.1:3001`. */
  baseUrl: string;
  /** Bound on each request, in milliseconds. */
  timeoutMs: number;
  /** Sent as `Authorization: Bearer …` on every request (ingest's SERVICE_TOKEN). */
  serviceToken?: string;
}

/** The headers that carry the apps' SERVICE_TOKEN; empty without one. */
export function serviceHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** `base` + `path`, keeping a path prefix in `base` (`http://h/ingest` + `/runs` = `http://h/ingest/runs`). */
export function joinUrl(base: string, path: string): URL {
  return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`);
}

/**
 * {@link IngestApi} over HTTP (got). It makes one request per call: starting
 * a run is not idempotent, and the job already retries tries and polls with
 * its own policy (so got's retry is set to one attempt, under the shared
 * policy that decides `retriable` on the errors).
 */
export class IngestClient extends IngestApi {
  private readonly http: Got;

  constructor(private readonly options: IngestClientOptions) {
    super();
    this.http = got.extend({
      headers: serviceHeaders(options.serviceToken),
      timeout: { request: options.timeoutMs },
      retry: httpRetry({ maxAttempts: 1 }),
      throwHttpErrors: false,
      responseType: 'text',
    });
  }

  startRun(params: RunRequest, signal?: AbortSignal): Promise<RunStatus> {
    return this.request('POST', INGEST_PATHS.runs, 'starting an ingest run', params, signal);
  }

  getRun(id: string, signal?: AbortSignal): Promise<RunStatus> {
    return this.request('GET', INGEST_PATHS.run(id), `reading ingest run ${id}`, undefined, signal);
  }

  cancelRun(id: string): Promise<RunStatus> {
    return this.request('DELETE', INGEST_PATHS.run(id), `cancelling ingest run ${id}`);
  }

  private async request(method: 'GET' | 'POST' | 'DELETE', path: string, context: string, body?: unknown, signal?: AbortSignal): Promise<RunStatus> {
    let res: Response<string>;
    try {
      res = await this.http(joinUrl(this.options.baseUrl, path), { method, ...(body === undefined ? {} : { json: body }), ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      const why = (error as { name?: unknown }).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : describeError(error);
      throw new IngestError(`${context}: ${why}`, { code: 'INGEST_UNREACHABLE', retriable: true, cause: error });
    }
    const text = res.body;
    let payload: unknown;
    try {
      payload = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      payload = undefined;
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    if (ok && isRunStatus(payload)) return payload;
    const message = (payload as { message?: unknown } | undefined)?.message;
    const reason = typeof message === 'string' ? message : text.slice(0, 200) || (res.statusMessage ?? '');
    if (res.statusCode === 400) throw new IngestRejectedError(`${context}: ingest refused the parameters: ${reason}`);
    if (res.statusCode === 401) {
      throw new IngestError(`${context}: ingest refused the service token (HTTP 401): give the orchestrator the same SERVICE_TOKEN as ingest`, {
        code: 'INGEST_UNAUTHORIZED',
        retriable: false,
        details: { status: 401 },
      });
    }
    if (ok) throw new IngestError(`${context}: unexpected answer from ingest: ${text.slice(0, 200)}`, { code: 'INGEST_BAD_ANSWER' });
    throw new IngestError(`${context}: HTTP ${res.statusCode}: ${reason}`, {
      code: res.statusCode === 404 ? 'INGEST_RUN_NOT_FOUND' : 'INGEST_HTTP_ERROR',
      retriable: isRetriableStatus(res.statusCode),
      details: { status: res.statusCode },
    });
  }
}
