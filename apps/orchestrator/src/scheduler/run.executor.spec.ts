import { Registry } from 'prom-client';
import { AbortError, silentLogger } from '@userstream/core';
import { OrchestratorMetrics } from '../app/orchestrator.metrics';
import { PermanentJobError, type JobContext, type JobDefinition, type JobProgress } from '../jobs/job.definition';
import { WebhookNotifier } from '../notify/webhook.notifier';
import { InMemoryRunStore } from '../../test/support/run-store.memory';
import type { RunRecord } from '../runs/run.model';
import { RunExecutor } from './run.executor';
import { RunRecorder } from './run.recorder';

type Execute = (ctx: JobContext<object>) => Promise<JobProgress>;

function definition(execute: Execute): JobDefinition<object> {
  return {
    name: 'j',
    description: 'test',
    schedule: { cron: '0 * * * *' },
    params: {},
    retries: 2,
    retryDelayMs: 1000,
    exponentialBackoff: false,
    maxRetryDelayMs: 1000,
    executionTimeoutMs: 60_000,
    maxActiveRuns: 1,
    catchup: false,
    pausedByDefault: false,
    resolveParams: () => ({}),
    execute,
  };
}

function queuedRun(): RunRecord {
  return {
    id: 'run-1',
    job: 'j',
    trigger: 'manual',
    state: 'queued',
    tryNumber: 0,
    maxTries: 3,
    params: {},
    queuedAt: new Date().toISOString(),
    rowsWritten: { state: 'unknown', value: null },
    tries: [],
  };
}

describe('RunExecutor', () => {
  let store: InMemoryRunStore;
  let executor: RunExecutor;
  let stopping = false;

  beforeEach(() => {
    store = new InMemoryRunStore();
    stopping = false;
    const metrics = new OrchestratorMetrics(new Registry());
    const recorder = new RunRecorder(store, metrics, new WebhookNotifier({ maxAttempts: 1, initialDelayMs: 1, timeoutMs: 100 }), silentLogger);
    executor = new RunExecutor(recorder, metrics, silentLogger, 50, () => stopping);
  });

  it("runs a try, saving the job's progress and notes under the try, and ignores notes sent after it ended", async () => {
    let late: JobContext<object> | undefined;
    const run = queuedRun();
    const outcome = await executor.runTry(
      definition(async (ctx) => {
        ctx.progress({ ingestRunId: 'ing-1' });
        ctx.note?.({ level: 'info', key: 'pages', message: '1 pages fetched' });
        ctx.note?.({ level: 'info', key: 'pages', message: '3 pages fetched' });
        late = ctx;
        return { ingestRunId: 'ing-1', counts: { pagesFetched: 3, fetched: 30, valid: 30, invalid: 0, produced: 30, acknowledged: 30 } };
      }),
      run,
      new AbortController(),
    );
    late?.note?.({ level: 'error', message: 'too late' });
    await new Promise((resolve) => setImmediate(resolve)); // the saves in flight land
    expect(outcome.ok).toBe(true);
    expect(run).toMatchObject({ state: 'running', tryNumber: 1, ingestRunId: 'ing-1', tries: [{ tryNumber: 1, state: 'success', ingestRunId: 'ing-1' }] });
    expect(run.log?.map((e) => `${e.tryNumber} ${e.message}`)).toEqual(['1 try 1 of 3 started', '1 3 pages fetched', '1 try 1 succeeded']);
    expect((await store.getRun('run-1'))?.log?.map((e) => e.message)).toEqual(['try 1 of 3 started', '3 pages fetched']);
  });

  it('says whether a failure may be retried: a permanent error or a shutdown may not', async () => {
    const permanent = await executor.runTry(
      definition(async () => Promise.reject(new PermanentJobError('ingest refused nat'))),
      queuedRun(),
      new AbortController(),
    );
    expect(permanent).toMatchObject({ ok: false, message: 'ingest refused nat', permanent: true, shuttingDown: false });

    const controller = new AbortController();
    const aborted = executor.runTry(
      definition((ctx) => new Promise<JobProgress>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('job saw the abort'))))),
      queuedRun(),
      controller,
    );
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new AbortError('orchestrator shut down while the run was active'));
    // The run fails with the reason of the abort, not the job's echo of it.
    expect(await aborted).toMatchObject({ ok: false, message: 'orchestrator shut down while the run was active', shuttingDown: true });

    stopping = true;
    const during = await executor.runTry(
      definition(async () => Promise.reject(new Error('ingest unreachable'))),
      queuedRun(),
      new AbortController(),
    );
    expect(during).toMatchObject({ ok: false, message: 'ingest unreachable', permanent: false, shuttingDown: true });
  });
});
