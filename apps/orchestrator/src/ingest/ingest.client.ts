import { describeError, UserstreamError } from '@userstream/core';
import type { RunCounts, RunCursor, RunOffsets } from '../runs/run.model';

/** Wire encodings the ingest app can produce. */
export const INGEST_ENCODINGS = ['avro', 'confluent', 'json'] as const;

/** The body of `POST /runs` on the ingest app. */
export interface IngestRunParams {
  /** Stop after this many records. */
  records?: number;
  /** Stop after this many seconds. */
  durationSeconds?: number;
  /** Target records per second. */
  rate?: number;
  /** randomuser.me seed; the same seed and pages give the same users. */
  seed?: string;
  /** randomuser.me nationalities, e.g. `us,gb`. */
  nat?: string;
  encoding?: (typeof INGEST_ENCODINGS)[number];
}

/** What the ingest app says about one of its runs (`GET /runs/:id`). */
export interface IngestRunStatus {
  id: string;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  params: IngestRunParams;
  startedAt: string;
  endedAt?: string;
  counts: RunCounts;
  cursor: RunCursor;
  offsets?: RunOffsets;
  errors: Array<{ code: string; message: string; count: number }>;
  error?: string;
  /** Present while the run waits for Kafka (produce requests unanswered and retried). */
  waiting?: { for: 'kafka'; since: string; reason: string };
}

/** The ingest app's run API, as the reference job uses it. */
export abstract class IngestApi {
  /** Starts a run (`POST /runs`). Throws {@link IngestRejectedError} when ingest refuses the parameters. */
  abstract startRun(params: IngestRunParams, signal?: AbortSignal): Promise<IngestRunStatus>;
  /** The run's status (`GET /runs/:id`). */
  abstract getRun(id: string, signal?: AbortSignal): Promise<IngestRunStatus>;
  /** Cancels the run (`DELETE /runs/:id`). */
  abstract cancelRun(id: string): Promise<IngestRunStatus>;
}

/** A request to the ingest app failed; retriable when the network or a 5xx was the cause. */
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

/** {@link IngestApi} over HTTP (Node's fetch). */
export class IngestClient extends IngestApi {
  constructor(private readonly options: IngestClientOptions) {
    super();
  }

  startRun(params: IngestRunParams, signal?: AbortSignal): Promise<IngestRunStatus> {
    return this.request('POST', '/runs', 'starting an ingest run', params, signal);
  }

  getRun(id: string, signal?: AbortSignal): Promise<IngestRunStatus> {
    return this.request('GET', `/runs/${encodeURIComponent(id)}`, `reading ingest run ${id}`, undefined, signal);
  }

  cancelRun(id: string): Promise<IngestRunStatus> {
    return this.request('DELETE', `/runs/${encodeURIComponent(id)}`, `cancelling ingest run ${id}`);
  }

  private async request(method: string, path: string, context: string, body?: unknown, signal?: AbortSignal): Promise<IngestRunStatus> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let res: Response;
    try {
      res = await fetch(joinUrl(this.options.baseUrl, path), {
        method,
        headers: { ...serviceHeaders(this.options.serviceToken), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      const why = timeout.aborted ? `no answer within ${this.options.timeoutMs} ms` : describeError(error);
      throw new IngestError(`${context}: ${why}`, { code: 'INGEST_UNREACHABLE', retriable: true, cause: error });
    }
    const text = await res.text();
    let payload: unknown;
    try {
      payload = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      payload = undefined;
    }
    if (res.ok && isRunStatus(payload)) return payload;
    const message = (payload as { message?: unknown } | undefined)?.message;
    const reason = typeof message === 'string' ? message : text.slice(0, 200) || res.statusText;
    if (res.status === 400) throw new IngestRejectedError(`${context}: ingest refused the parameters: ${reason}`);
    if (res.status === 401) {
      throw new IngestError(`${context}: ingest refused the service token (HTTP 401): give the orchestrator the same SERVICE_TOKEN as ingest`, {
        code: 'INGEST_UNAUTHORIZED',
        retriable: false,
        details: { status: 401 },
      });
    }
    if (res.ok) throw new IngestError(`${context}: unexpected answer from ingest: ${text.slice(0, 200)}`, { code: 'INGEST_BAD_ANSWER' });
    throw new IngestError(`${context}: HTTP ${res.status}: ${reason}`, {
      code: res.status === 404 ? 'INGEST_RUN_NOT_FOUND' : 'INGEST_HTTP_ERROR',
      retriable: res.status >= 500 || res.status === 429,
      details: { status: res.status },
    });
  }
}

function isRunStatus(value: unknown): value is IngestRunStatus {
  const v = value as Partial<IngestRunStatus> | undefined;
  return typeof v?.id === 'string' && typeof v.state === 'string' && typeof v.counts === 'object' && v.counts !== null;
}
