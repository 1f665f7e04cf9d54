import { componentLogger, describeError, retry, UserstreamError, type Logger } from '@userstream/core';
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

/** The webhook answered with an error status. */
export class WebhookError extends UserstreamError {}

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
 * good. Network errors, timeouts, 408, 429 and 5xx are retried with
 * backoff; other 4xx answers are not. Delivery runs in the background;
 * {@link WebhookNotifier.drain} waits for what is in flight (on shutdown).
 */
export class WebhookNotifier {
  private readonly logger: Logger;
  private readonly pending = new Set<Promise<void>>();
  private readonly stop = new AbortController();

  constructor(private readonly options: WebhookNotifierOptions) {
    this.logger = componentLogger(options.logger, 'webhook');
  }

  get enabled(): boolean {
    return this.options.url !== undefined;
  }

  /** Sends the notification in the background; never throws. */
  notifyRunFailed(run: RunRecord): void {
    if (!this.options.url) return;
    const delivery = this.deliver(runFailedPayload(run)).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  /** Delivers one payload, retrying by the policy; resolves whatever the outcome (logged). */
  async deliver(payload: RunFailedPayload): Promise<void> {
    const url = this.options.url;
    if (!url) return;
    try {
      await retry((attempt) => this.post(url, payload, attempt), {
        maxAttempts: this.options.maxAttempts,
        initialDelayMs: this.options.initialDelayMs,
        maxDelayMs: 30_000,
        signal: this.stop.signal,
        onRetry: ({ error, attempt, delayMs }) => this.logger.warn({ runId: payload.runId, attempt, delayMs, err: describeError(error) }, 'webhook call failed, retrying'),
      });
      this.logger.info({ runId: payload.runId }, 'failure webhook delivered');
      this.options.onOutcome?.('delivered');
    } catch (error) {
      this.logger.error({ runId: payload.runId, err: describeError(error) }, 'failure webhook not delivered');
      this.options.onOutcome?.('failed');
    }
  }

  /** Waits up to `timeoutMs` for deliveries in flight, then abandons their retries. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.pending), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (this.pending.size === 0) return;
    this.stop.abort();
    await Promise.all(this.pending);
  }

  private async post(url: string, payload: RunFailedPayload, attempt: number): Promise<void> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'userstream-orchestrator', 'x-userstream-attempt': String(attempt) },
        body: JSON.stringify(payload),
        signal: AbortSignal.any([timeout, this.stop.signal]),
      });
    } catch (error) {
      throw new WebhookError(`calling the webhook: ${timeout.aborted ? `no answer within ${this.options.timeoutMs} ms` : describeError(error)}`, {
        code: 'WEBHOOK_UNREACHABLE',
        retriable: !this.stop.signal.aborted,
        cause: error,
      });
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    throw new WebhookError(`calling the webhook: HTTP ${res.status}`, {
      code: 'WEBHOOK_HTTP_ERROR',
      retriable: res.status >= 500 || res.status === 408 || res.status === 429,
      details: { status: res.status },
    });
  }
}
