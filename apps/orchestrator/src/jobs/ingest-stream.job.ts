import { describeError, sleep } from '@userstream/core';
import type { RunRequest, RunStatus } from '@userstream/ingest-contract';
import { IngestError, IngestRejectedError, type IngestApi } from '../ingest/ingest.client';
import { resolveIngestParams } from './ingest-params';
import { ingestRunNotes } from './ingest-run.notes';
import { ParamsError, PermanentJobError, type JobContext, type JobDefinition, type JobProgress, type RetryPolicy } from './job.definition';
import type { JobSchedule } from './job.schedule';

/** The reference pipeline's DAG id, kept so the runs line up with the Airflow history. */
export const REFERENCE_JOB_NAME = 'user_data_kafka_stream';

/** Options for {@link createIngestStreamJob}. */
export interface IngestStreamJobOptions extends RetryPolicy {
  ingest: IngestApi;
  name?: string;
  schedule: JobSchedule;
  /** Default ingest parameters; the reference streams for 60 s. */
  params: RunRequest;
  executionTimeoutMs: number;
  pausedByDefault?: boolean;
  /** Time between two `GET /runs/:id`, in milliseconds. */
  pollIntervalMs: number;
  /** Polls that may fail in a row (ingest restarting, a network blip) before the try fails. Default 10. */
  maxPollFailures?: number;
}

function progressOf(status: RunStatus): JobProgress {
  return {
    ingestRunId: status.id,
    counts: status.counts,
    cursor: status.cursor,
    ...(status.offsets ? { offsets: status.offsets } : {}),
  };
}

/** Notes on the run's log what changed since the previous status. */
function noteChanges(ctx: JobContext<RunRequest>, previous: RunStatus | undefined, current: RunStatus): void {
  if (!ctx.note) return;
  for (const note of ingestRunNotes(previous, current)) ctx.note(note);
}

function failureReason(status: RunStatus): string {
  if (status.error) return status.error;
  const top = [...(status.errors ?? [])].sort((a, b) => b.count - a.count)[0];
  return top ? `${top.code}: ${top.message} (x${top.count})` : 'no reason given';
}

/**
 * The reference job: every hour, start an ingest run over HTTP (60 s of
 * streaming by default), follow it to its end, and succeed or fail with it.
 * When the try is aborted (execution timeout, shutdown) or loses track of the
 * run, the ingest run is cancelled so a retry never overlaps it.
 */
export function createIngestStreamJob(options: IngestStreamJobOptions): JobDefinition<RunRequest> {
  const maxPollFailures = options.maxPollFailures ?? 10;
  const { ingest } = options;

  const execute = async (ctx: JobContext<RunRequest>): Promise<JobProgress> => {
    let status: RunStatus;
    try {
      status = await ingest.startRun(ctx.params, ctx.signal);
    } catch (error) {
      if (error instanceof IngestRejectedError) throw new PermanentJobError(error.message, { cause: error });
      throw error;
    }
    ctx.logger.info({ ingestRunId: status.id }, 'ingest run started');
    ctx.progress(progressOf(status));
    noteChanges(ctx, undefined, status);
    try {
      let failures = 0;
      while (status.state === 'running') {
        await sleep(options.pollIntervalMs, ctx.signal);
        try {
          const previous = status;
          status = await ingest.getRun(status.id, ctx.signal);
          failures = 0;
          ctx.progress(progressOf(status));
          noteChanges(ctx, previous, status);
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          failures++;
          ctx.logger.warn({ ingestRunId: status.id, failures, err: describeError(error) }, 'polling the ingest run failed');
          ctx.note?.({
            level: 'warn',
            key: 'poll-failures',
            message: `polling ingest run ${status.id} failed (${failures} in a row, the try fails at ${maxPollFailures}): ${describeError(error)}`,
          });
          if (failures >= maxPollFailures) {
            throw new IngestError(`following ingest run ${status.id}: ${failures} polls in a row failed, the last with: ${describeError(error)}`, {
              code: 'INGEST_LOST',
              retriable: true,
              cause: error,
            });
          }
        }
      }
    } catch (error) {
      if (status.state === 'running') await cancelQuietly(ctx, status);
      // Aborted while sleeping or while polling: either way, fail with the reason of the abort.
      throw ctx.signal.aborted ? ctx.signal.reason : error;
    }
    if (status.state === 'succeeded') return progressOf(status);
    throw new IngestError(`ingest run ${status.id} ${status.state}: ${failureReason(status)}`, { code: 'INGEST_RUN_FAILED', retriable: true });
  };

  const cancelQuietly = async (ctx: JobContext<RunRequest>, last: RunStatus): Promise<void> => {
    const id = last.id;
    const why = ctx.signal.aborted ? describeError(ctx.signal.reason) : 'the try lost track of it';
    ctx.note?.({ level: 'warn', message: `cancelling ingest run ${id}: ${why}` });
    try {
      const final = await ingest.cancelRun(id);
      ctx.progress(progressOf(final));
      noteChanges(ctx, last, final);
      ctx.logger.info({ ingestRunId: id, state: final.state }, 'ingest run cancelled');
    } catch (error) {
      ctx.logger.warn({ ingestRunId: id, err: describeError(error) }, 'could not cancel the ingest run');
      ctx.note?.({ level: 'error', message: `could not cancel ingest run ${id}: ${describeError(error)}` });
    }
  };

  return {
    name: options.name ?? REFERENCE_JOB_NAME,
    description: 'Streams users from the API into Kafka through the ingest app, then follows the run to its end',
    schedule: options.schedule,
    params: options.params,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    exponentialBackoff: options.exponentialBackoff,
    maxRetryDelayMs: options.maxRetryDelayMs,
    executionTimeoutMs: options.executionTimeoutMs,
    maxActiveRuns: 1,
    catchup: false,
    pausedByDefault: options.pausedByDefault ?? false,
    resolveParams(input: unknown): RunRequest {
      const params = resolveIngestParams(input, options.params);
      if (params.durationSeconds !== undefined && params.durationSeconds * 1000 >= options.executionTimeoutMs) {
        throw new ParamsError(
          `params.durationSeconds: ${params.durationSeconds} s does not fit in the job's execution timeout of ${options.executionTimeoutMs / 1000} s`,
        );
      }
      return params;
    },
    execute,
    async abandon(progress: JobProgress, logger): Promise<void> {
      if (!progress.ingestRunId) return;
      const status = await ingest.getRun(progress.ingestRunId);
      if (status.state !== 'running') return;
      const final = await ingest.cancelRun(progress.ingestRunId);
      logger.info({ ingestRunId: progress.ingestRunId, state: final.state }, 'cancelled the ingest run of an interrupted run');
    },
  };
}
