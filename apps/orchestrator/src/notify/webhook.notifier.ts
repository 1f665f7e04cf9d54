import { componentLogger, describeError, finishesWithin, httpRetry, TaskSet, type Logger } from '@userstream/core';
import got, { type Got } from 'got';
import type { RunRecord } from '../runs/run.model';

/** The JSON body POSTed to the webhook when a run fails for good. */
export interface RunFailedPayload {
  event: 'run.failed';
  job: string;
  runId: string;
  trigger: RunRecord['trigger'];
  tries: number;
  maxTries: number;
  error: string | null;
  params: Record<string, unknown>;
  queuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  ingestRunId: string | null;
  counts: RunRecord['counts'] | null;
  sentAt: string;
}

/** Options for {@link WebhookNotifier}. */
export interface WebhookNotifierOptions {
  /** Where to POST; without one, notifications are dropped. */
  url?: string;
  /** Attempts per notification, including the first. */
  maxAttempts: number;
  /** Cap of the first retry delay (full jitter, doubling, at most 30 s), in milliseconds. */
  initialDelayMs: number;
  /** Bound on each request, in milliseconds. */
  timeoutMs: number;
  logger?: Logger;
  /** Called once per notification with its outcome (for metrics). */
  onOutcome?: (outcome: 'delivered' | 'failed') => void;
}

/** Builds the payload for a failed run. */
export function runFailedPayload(run: RunRecord, now = new Date()): RunFailedPayload {
  return {
    event: 'run.failed',
    job: run.job,
    runId: run.id,
    trigger: run.trigger,
    tries: run.tryNumber,
    maxTries: run.maxTries,
    error: run.error ?? null,
    params: run.params,
    queuedAt: run.queuedAt,
    startedAt: run.startedAt ?? null,
    endedAt: run.endedAt ?? null,
    ingestRunId: run.ingestRunId ?? null,
    counts: run.counts ?? null,
    sentAt: now.toISOString(),
  };
}

/**
 * POSTs a JSON payload to `ORCHESTRATOR_WEBHOOK_URL` when a run fails for
 * good, through got: network errors, timeouts and the retriable statuses of
 * the shared policy (408, 425, 429, 5xx but 501/505) are retried with
 * backoff (got's retry, core `httpRetry`); other 4xx answers are not. Each
 * request carries its attempt number in `x-userstream-attempt`. Delivery runs
 * in the background; {@link WebhookNotifier.drain} waits for what is in
 * flight (on shutdown).
 */
export class WebhookNotifier {
  private readonly logger: Logger;
  private readonly pending = new TaskSet();
  private readonly stop = new AbortController();
  private readonly http: Got;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.logger = componentLogger(options.logger, 'webhook');
    this.http = got.extend({
      headers: { 'user-agent': 'userstream-orchestrator' },
      timeout: { request: options.timeoutMs },
      retry: httpRetry({ maxAttempts: options.maxAttempts, initialDelayMs: options.initialDelayMs, maxDelayMs: 30_000 }),
      hooks: {
        beforeRequest: [
          (request, context) => {
            request.headers['x-userstream-attempt'] = String((context?.retryCount ?? 0) + 1);
          },
        ],
        beforeRetry: [
          (error, retryCount) => {
            const runId = (error.options.json as { runId?: unknown } | undefined)?.runId;
            this.logger.warn({ runId, attempt: retryCount, err: webhookFailure(error) }, 'webhook call failed, retrying');
          },
        ],
      },
      signal: this.stop.signal,
    });
  }

  get enabled(): boolean {
    return this.options.url !== undefined;
  }

  /** Sends the notification in the background; never throws. */
  notifyRunFailed(run: RunRecord): void {
    if (!this.options.url) return;
    this.pending.track(this.deliver(runFailedPayload(run)));
  }

  /** Delivers one payload, retrying by the policy; resolves whatever the outcome (logged). */
  async deliver(payload: RunFailedPayload): Promise<void> {
    const url = this.options.url;
    if (!url) return;
    try {
      await this.http.post(url, { json: payload });
      this.logger.info({ runId: payload.runId }, 'failure webhook delivered');
      this.options.onOutcome?.('delivered');
    } catch (error) {
      this.logger.error({ runId: payload.runId, err: webhookFailure(error) }, 'failure webhook not delivered');
      this.options.onOutcome?.('failed');
    }
  }

  /** Waits up to `timeoutMs` for deliveries in flight, then abandons their retries. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    if (await finishesWithin(this.pending.drain(), timeoutMs)) return;
    this.stop.abort();
    await this.pending.drain();
  }
}

/** One line on a failed call: the status when there was an answer, else what broke (a secret-free got message). */
function webhookFailure(error: unknown): string {
  const status = (error as { response?: { statusCode?: unknown } }).response?.statusCode;
  if (typeof status === 'number') return `calling the webhook: HTTP ${status}`;
  return `calling the webhook: ${describeError(error)}`;
}
