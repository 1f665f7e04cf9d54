// Over 400 lines: one scenario per rule of the scheduling policy, all on one testing module; kept whole so the refactor is checked against it unchanged.
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { silentLogger, sleep, UserstreamError } from '@userstream/core';
import { OrchestratorContext } from '../app/orchestrator.context';
import { OrchestratorMetrics } from '../app/orchestrator.metrics';
import { JobCatalog } from '../jobs/job.catalog';
import { ParamsError, PermanentJobError, type JobContext, type JobDefinition, type JobProgress } from '../jobs/job.definition';
import { WebhookNotifier } from '../notify/webhook.notifier';
import { InMemoryRunStore } from '../../test/support/run-store.memory';
import type { RunRecord } from '../runs/run.model';
import { RunStore } from '../runs/run.store';
import { RESTART_ERROR, RunConflictError, SchedulerService, SchedulerSettings, SHUTDOWN_ERROR } from './scheduler.service';

const MIN = 60_000;
const counts = { pagesFetched: 2, fetched: 100, valid: 99, invalid: 1, produced: 99, acknowledged: 99 };

type Execute = (ctx: JobContext<Record<string, unknown>>) => Promise<JobProgress>;

/** A job with the reference policy (hourly, 2 retries, 2 min exponential, max 10 min) unless overridden. */
function job(execute: Execute, overrides: Partial<JobDefinition<Record<string, unknown>>> = {}): JobDefinition<Record<string, unknown>> {
  return {
    name: 'user_data_kafka_stream',
    description: 'test job',
    schedule: { cron: '0 * * * *' },
    params: { durationSeconds: 60 },
    retries: 2,
    retryDelayMs: 2 * MIN,
    exponentialBackoff: true,
    maxRetryDelayMs: 10 * MIN,
    executionTimeoutMs: 10 * MIN,
    maxActiveRuns: 1,
    catchup: false,
    pausedByDefault: false,
    resolveParams: (input) => {
      if (input !== undefined && (typeof input !== 'object' || input === null)) throw new ParamsError('params: must be a JSON object');
      return { durationSeconds: 60, ...(input as object) };
    },
    execute,
    ...overrides,
  };
}

/** An execute function whose tries the test settles by hand. */
function controllable() {
  const tries: Array<{ ctx: JobContext<Record<string, unknown>>; resolve: (p: JobProgress) => void; reject: (e: unknown) => void }> = [];
  const execute = jest.fn(
    (ctx: JobContext<Record<string, unknown>>) =>
      new Promise<JobProgress>((resolve, reject) => {
        tries.push({ ctx, resolve, reject });
      }),
  );
  return { execute, tries };
}

const failing = (message = 'ingest run fake-1 failed: randomuser API kept failing') =>
  jest.fn(async () => Promise.reject(new UserstreamError(message, { retriable: true })));

describe('SchedulerService', () => {
  let moduleRef: TestingModule | undefined;
  let store: InMemoryRunStore;
  let notifier: WebhookNotifier;
  let notified: jest.SpyInstance;

  async function start(jobs: Array<JobDefinition<Record<string, unknown>>>, settings = new SchedulerSettings(1000, 100)) {
    moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot()],
      providers: [
        SchedulerService,
        { provide: JobCatalog, useValue: new JobCatalog(jobs) },
        { provide: RunStore, useValue: store },
        { provide: WebhookNotifier, useValue: notifier },
        { provide: OrchestratorContext, useValue: new OrchestratorContext(silentLogger, new OrchestratorMetrics(new Registry())) },
        { provide: SchedulerSettings, useValue: settings },
      ],
    }).compile();
    await moduleRef.init();
    return moduleRef.get(SchedulerService);
  }

  const runs = async () => (await store.listRuns({ limit: 100 })).runs;
  /** The saved run; fails the test when there is none. */
  const saved = async (id: string): Promise<RunRecord> => {
    const run = await store.getRun(id);
    if (!run) throw new Error(`run ${id} was not saved`);
    return run;
  };
  const only = async (): Promise<RunRecord> => {
    const all = await runs();
    expect(all).toHaveLength(1);
    return all[0];
  };
  /** The states the run went through, in order, without repeats. */
  const statesOf = (id: string) =>
    store.history
      .filter((r) => r.id === id)
      .map((r) => `${r.state}#${r.tryNumber}`)
      .filter((s, i, all) => s !== all[i - 1]);

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2025-06-01T10:15:00Z') });
    store = new InMemoryRunStore();
    notifier = new WebhookNotifier({ maxAttempts: 1, initialDelayMs: 1, timeoutMs: 100 });
    notified = jest.spyOn(notifier, 'notifyRunFailed');
  });

  afterEach(async () => {
    // Closing aborts tries in flight and waits (on fake timers) for their grace period.
    const closing = moduleRef?.close();
    await jest.advanceTimersByTimeAsync(10_000);
    await closing;
    moduleRef = undefined;
    jest.useRealTimers();
  });

  it('arms the job for its next cron time and starts a scheduled run when it comes', async () => {
    const execute = jest.fn(async () => ({ ingestRunId: 'fake-1', counts }));
    const scheduler = await start([job(execute)]);
    const registry = moduleRef?.get(SchedulerRegistry);

    expect(scheduler.listJobs()[0]).toMatchObject({ name: 'user_data_kafka_stream', paused: false, nextRunAt: '2025-06-01T11:00:00.000Z' });
    // A cron schedule is a `cron` CronJob in the registry, not a timeout.
    expect([...(registry?.getCronJobs().keys() ?? [])]).toEqual(['schedule:user_data_kafka_stream']);
    expect(registry?.getTimeouts()).toEqual([]);

    await jest.advanceTimersByTimeAsync(45 * MIN - 1);
    expect(execute).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(execute).toHaveBeenCalledTimes(1);

    const run = await only();
    expect(run).toMatchObject({
      trigger: 'scheduled',
      scheduledFor: '2025-06-01T11:00:00.000Z',
      state: 'success',
      tryNumber: 1,
      maxTries: 3,
      counts,
      params: { durationSeconds: 60 },
    });
    expect(statesOf(run.id)).toEqual(['queued#0', 'running#1', 'success#1']);
    expect(scheduler.listJobs()[0].nextRunAt).toBe('2025-06-01T12:00:00.000Z');

    await jest.advanceTimersByTimeAsync(60 * MIN);
    expect(execute).toHaveBeenCalledTimes(2);
  });

  it('retries a failing run with exponential backoff, then fails it for good and notifies once', async () => {
    const execute = failing();
    const scheduler = await start([job(execute)]);
    const queued = await scheduler.trigger('user_data_kafka_stream');
    expect(queued).toMatchObject({ state: 'queued', tryNumber: 0, trigger: 'manual' });

    await jest.advanceTimersByTimeAsync(0);
    let run = await saved(queued.id);
    expect(run).toMatchObject({ state: 'up_for_retry', tryNumber: 1, nextTryAt: '2025-06-01T10:17:00.000Z' });
    expect(run.error).toContain('randomuser API kept failing');

    // First retry after 2 min, not a millisecond earlier.
    await jest.advanceTimersByTimeAsync(2 * MIN - 1);
    expect(execute).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(execute).toHaveBeenCalledTimes(2);
    run = await saved(queued.id);
    expect(run).toMatchObject({ state: 'up_for_retry', tryNumber: 2, nextTryAt: '2025-06-01T10:21:00.000Z' }); // then 4 min

    await jest.advanceTimersByTimeAsync(4 * MIN - 1);
    expect(execute).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(execute).toHaveBeenCalledTimes(3);

    run = await saved(queued.id);
    expect(run).toMatchObject({ state: 'failed', tryNumber: 3, maxTries: 3 });
    expect(run.endedAt).toBe('2025-06-01T10:21:00.000Z');
    expect(run.tries.map((t) => [t.tryNumber, t.state])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    expect(statesOf(run.id)).toEqual(['queued#0', 'running#1', 'up_for_retry#1', 'running#2', 'up_for_retry#2', 'running#3', 'failed#3']);
    expect(notified).toHaveBeenCalledTimes(1);
    expect(notified.mock.calls[0][0]).toMatchObject({ id: run.id, state: 'failed' });

    // No further tries.
    await jest.advanceTimersByTimeAsync(30 * MIN);
    expect(execute).toHaveBeenCalledTimes(3);
  });

  it('caps the retry delay at the maximum', async () => {
    const execute = failing();
    const scheduler = await start([job(execute, { retries: 4, retryDelayMs: 4 * MIN, maxRetryDelayMs: 10 * MIN })]);
    const { id } = await scheduler.trigger('user_data_kafka_stream');
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await jest.advanceTimersByTimeAsync(0);
      const run = await saved(id);
      const wait = Date.parse(run.nextTryAt ?? '') - Date.now();
      delays.push(wait / MIN);
      await jest.advanceTimersByTimeAsync(wait);
    }
    await jest.advanceTimersByTimeAsync(0);
    expect(delays).toEqual([4, 8, 10, 10]);
    expect((await saved(id)).state).toBe('failed');
    expect(execute).toHaveBeenCalledTimes(5);
  });

  it('succeeds on a retry and keeps each try in the run', async () => {
    let calls = 0;
    const execute = jest.fn(async (): Promise<JobProgress> => {
      calls++;
      if (calls === 1) throw new UserstreamError('ingest unreachable', { retriable: true });
      return { ingestRunId: 'fake-2', counts };
    });
    const scheduler = await start([job(execute)]);
    const { id } = await scheduler.trigger('user_data_kafka_stream');
    await jest.advanceTimersByTimeAsync(2 * MIN);
    const run = await saved(id);
    expect(run).toMatchObject({ state: 'success', tryNumber: 2, ingestRunId: 'fake-2', counts });
    expect(run.error).toBeUndefined();
    expect(run.tries).toMatchObject([
      { tryNumber: 1, state: 'failed', error: 'ingest unreachable' },
      { tryNumber: 2, state: 'success', ingestRunId: 'fake-2' },
    ]);
    expect(notified).not.toHaveBeenCalled();
  });

  it('fails at once, without retries, on a permanent error', async () => {
    const execute = jest.fn(async () => Promise.reject(new PermanentJobError('ingest refused the parameters: nat')));
    const scheduler = await start([job(execute)]);
    const { id } = await scheduler.trigger('user_data_kafka_stream', { nat: 'zz' });
    await jest.advanceTimersByTimeAsync(0);
    expect(await store.getRun(id)).toMatchObject({ state: 'failed', tryNumber: 1, error: 'ingest refused the parameters: nat' });
    await jest.advanceTimersByTimeAsync(20 * MIN);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(notified).toHaveBeenCalledTimes(1);
  });

  it('treats a job that throws synchronously like any failed try', async () => {
    const execute = jest.fn((): Promise<JobProgress> => {
      throw new Error('bad job code');
    });
    const scheduler = await start([job(execute, { retries: 0 })]);
    const { id } = await scheduler.trigger('user_data_kafka_stream');
    await jest.advanceTimersByTimeAsync(0);
    expect(await saved(id)).toMatchObject({ state: 'failed', error: 'bad job code' });
    expect(scheduler.listJobs()[0].activeRun).toBeUndefined();
  });

  it('never overlaps runs: a due time during an active run is skipped and a trigger gets a conflict', async () => {
    const { execute, tries } = controllable();
    const scheduler = await start([job(execute, { executionTimeoutMs: 120 * MIN })]);
    const first = await scheduler.trigger('user_data_kafka_stream');
    await jest.advanceTimersByTimeAsync(0);

    await expect(scheduler.trigger('user_data_kafka_stream')).rejects.toBeInstanceOf(RunConflictError);
    await expect(scheduler.fire('user_data_kafka_stream')).resolves.toBeUndefined();
    // The 11:00 due time comes while the run is still active.
    await jest.advanceTimersByTimeAsync(45 * MIN);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(scheduler.listJobs()[0].activeRun).toMatchObject({ id: first.id, state: 'running' });

    tries[0].resolve({ counts });
    await jest.advanceTimersByTimeAsync(0);
    expect(scheduler.listJobs()[0].activeRun).toBeUndefined();
    const second = await scheduler.fire('user_data_kafka_stream');
    expect(second).toMatchObject({ trigger: 'scheduled', state: 'queued' });
    await jest.advanceTimersByTimeAsync(0);
    expect(execute).toHaveBeenCalledTimes(2);
  });

  it('aborts a try at its execution timeout, lets the job clean up, and retries', async () => {
    const cleanedUp = jest.fn();
    const execute = jest.fn(
      (ctx: JobContext<Record<string, unknown>>) =>
        new Promise<JobProgress>((_, reject) => {
          ctx.progress({ ingestRunId: `fake-${ctx.tryNumber}` });
          ctx.signal.addEventListener('abort', () => {
            cleanedUp(ctx.tryNumber);
            reject(ctx.signal.reason);
          });
        }),
    );
    const scheduler = await start([job(execute, { executionTimeoutMs: 5 * MIN, retries: 1 })]);
    const { id } = await scheduler.trigger('user_data_kafka_stream');

    await jest.advanceTimersByTimeAsync(5 * MIN - 1);
    expect(cleanedUp).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(cleanedUp).toHaveBeenCalledWith(1);
    let run = await saved(id);
    expect(run).toMatchObject({ state: 'up_for_retry', tryNumber: 1 });
    expect(run.error).toBe('try 1 ran past the execution timeout of 300000 ms');
    expect(run.tries[0]).toMatchObject({ ingestRunId: 'fake-1', state: 'failed' });

    await jest.advanceTimersByTimeAsync(2 * MIN + 5 * MIN);
    run = await saved(id);
    expect(run).toMatchObject({ state: 'failed', tryNumber: 2, error: 'try 2 ran past the execution timeout of 300000 ms' });
    expect(cleanedUp).toHaveBeenCalledTimes(2);
  });

  it('ends a try that ignores its abort signal once the grace period is over', async () => {
    const execute = jest.fn(() => new Promise<JobProgress>(() => undefined));
    const scheduler = await start([job(execute, { executionTimeoutMs: MIN, retries: 0 })], new SchedulerSettings(10_000, 100));
    const { id } = await scheduler.trigger('user_data_kafka_stream');
    await jest.advanceTimersByTimeAsync(MIN + 9_999);
    expect((await saved(id)).state).toBe('running');
    await jest.advanceTimersByTimeAsync(1);
    expect(await store.getRun(id)).toMatchObject({ state: 'failed', error: 'try 1 ran past the execution timeout of 60000 ms' });
  });

  it('pauses (saved), skips due times while paused, and resumes without catching up', async () => {
    const execute = jest.fn(async () => ({ counts }));
    const scheduler = await start([job(execute)]);
    const paused = await scheduler.pause('user_data_kafka_stream');
    expect(paused.paused).toBe(true);
    expect(paused.nextRunAt).toBeUndefined();
    expect(await store.jobStates()).toEqual([{ job: 'user_data_kafka_stream', paused: true, updatedAt: '2025-06-01T10:15:00.000Z' }]);
    expect(moduleRef?.get(SchedulerRegistry).getTimeouts()).toEqual([]);
    expect(moduleRef?.get(SchedulerRegistry).getCronJobs().size).toBe(0);

    await jest.advanceTimersByTimeAsync(3 * 60 * MIN); // 11:00, 12:00 and 13:00 pass
    expect(execute).not.toHaveBeenCalled();
    expect(await scheduler.fire('user_data_kafka_stream')).toBeUndefined();

    const resumed = await scheduler.unpause('user_data_kafka_stream');
    expect(resumed).toMatchObject({ paused: false, nextRunAt: '2025-06-01T14:00:00.000Z' });
    await jest.advanceTimersByTimeAsync(0);
    expect(execute).not.toHaveBeenCalled(); // the three missed hours are not run
    await jest.advanceTimersByTimeAsync(45 * MIN);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('lets an operator trigger a paused job', async () => {
    const execute = jest.fn(async () => ({ counts }));
    const scheduler = await start([job(execute, { pausedByDefault: true })]);
    expect(scheduler.listJobs()[0].paused).toBe(true);
    await scheduler.trigger('user_data_kafka_stream');
    await jest.advanceTimersByTimeAsync(0);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('keeps the saved pause state across restarts', async () => {
    await store.saveJobState({ job: 'user_data_kafka_stream', paused: true, updatedAt: '2025-06-01T09:00:00.000Z' });
    const scheduler = await start([job(jest.fn(async () => ({})))]);
    expect(scheduler.listJobs()[0]).toMatchObject({ paused: true });
    expect(scheduler.listJobs()[0].nextRunAt).toBeUndefined();
  });

  it('at start, fails a run a crash left queued, and retries the try a crash interrupted, after stopping its work', async () => {
    const base = {
      job: 'user_data_kafka_stream',
      trigger: 'scheduled' as const,
      maxTries: 3,
      params: {},
      rowsWritten: { state: 'unknown' as const, value: null },
    };
    await store.saveRun({
      ...base,
      id: 'run-running',
      state: 'running',
      tryNumber: 1,
      queuedAt: '2025-06-01T09:00:00.000Z',
      startedAt: '2025-06-01T09:00:00.000Z',
      ingestRunId: 'fake-9',
      tries: [{ tryNumber: 1, state: 'running', startedAt: '2025-06-01T09:00:00.000Z', ingestRunId: 'fake-9' }],
    });
    await store.saveRun({ ...base, id: 'run-queued', state: 'queued', tryNumber: 0, queuedAt: '2025-06-01T08:00:00.000Z', tries: [] });
    const execute = jest.fn(async () => ({ counts }));
    const abandon = jest.fn(async () => undefined);
    const scheduler = await start([job(execute, { abandon })]);

    // The ingest run the dead process was following is stopped; the queued run had none.
    expect(abandon).toHaveBeenCalledTimes(1);
    expect(abandon).toHaveBeenCalledWith({ ingestRunId: 'fake-9' }, expect.anything());
    // The queued run never started a try: it fails. The running one lost its try, and is retried like any failed try.
    expect(await saved('run-queued')).toMatchObject({ state: 'failed', error: RESTART_ERROR, endedAt: '2025-06-01T10:15:00.000Z' });
    const interrupted = await saved('run-running');
    expect(interrupted).toMatchObject({ state: 'up_for_retry', tryNumber: 1, nextTryAt: '2025-06-01T10:17:00.000Z' });
    expect(interrupted.tries[0]).toMatchObject({ state: 'failed', error: RESTART_ERROR });
    expect(notified).toHaveBeenCalledTimes(1);
    expect(scheduler.listJobs()[0].activeRun).toMatchObject({ id: 'run-running', state: 'up_for_retry' });

    await jest.advanceTimersByTimeAsync(2 * MIN - 1);
    expect(execute).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(await saved('run-running')).toMatchObject({ state: 'success', tryNumber: 2 });
    expect(notified).toHaveBeenCalledTimes(1);
    expect(await store.activeRuns()).toEqual([]);
  });

  it('fails an interrupted run for good when it has no tries left', async () => {
    await store.saveRun({
      job: 'user_data_kafka_stream',
      trigger: 'scheduled',
      maxTries: 1,
      params: {},
      rowsWritten: { state: 'unknown', value: null },
      id: 'run-last-try',
      state: 'running',
      tryNumber: 1,
      queuedAt: '2025-06-01T09:00:00.000Z',
      startedAt: '2025-06-01T09:00:00.000Z',
      tries: [{ tryNumber: 1, state: 'running', startedAt: '2025-06-01T09:00:00.000Z' }],
    });
    const scheduler = await start([job(jest.fn(async () => ({ counts })))]);
    expect(await saved('run-last-try')).toMatchObject({ state: 'failed', error: RESTART_ERROR });
    expect(notified).toHaveBeenCalledTimes(1);
    expect(scheduler.listJobs()[0].activeRun).toBeUndefined();
  });

  it('resumes the retry of a run that was up for retry when the process stopped', async () => {
    await store.saveRun({
      id: 'run-retry',
      job: 'user_data_kafka_stream',
      trigger: 'scheduled',
      state: 'up_for_retry',
      tryNumber: 1,
      maxTries: 3,
      params: { durationSeconds: 60 },
      queuedAt: '2025-06-01T10:10:00.000Z',
      startedAt: '2025-06-01T10:10:00.000Z',
      nextTryAt: '2025-06-01T10:16:00.000Z',
      error: 'boom',
      rowsWritten: { state: 'unknown', value: null },
      tries: [{ tryNumber: 1, state: 'failed', startedAt: '2025-06-01T10:10:00.000Z', endedAt: '2025-06-01T10:12:00.000Z', error: 'boom' }],
    });
    const execute = jest.fn(async () => ({ counts }));
    const scheduler = await start([job(execute)]);
    expect(scheduler.listJobs()[0].activeRun).toMatchObject({ id: 'run-retry', state: 'up_for_retry' });
    await jest.advanceTimersByTimeAsync(MIN - 1);
    expect(execute).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(await store.getRun('run-retry')).toMatchObject({ state: 'success', tryNumber: 2 });
  });

  it('fails the try in flight on shutdown, cancelling its work', async () => {
    const { execute, tries } = controllable();
    const scheduler = await start([job(execute)]);
    const { id } = await scheduler.trigger('user_data_kafka_stream');
    await jest.advanceTimersByTimeAsync(0);
    tries[0].ctx.signal.addEventListener('abort', () => tries[0].reject(tries[0].ctx.signal.reason));
    await moduleRef?.close();
    moduleRef = undefined;
    expect(await store.getRun(id)).toMatchObject({ state: 'failed', tryNumber: 1, error: SHUTDOWN_ERROR });
    expect(notified).toHaveBeenCalledTimes(1);
  });

  it('runs interval schedules on a fixed grid', async () => {
    const execute = jest.fn(async (ctx: JobContext<Record<string, unknown>>) => {
      await sleep(20_000, ctx.signal); // a 20 s run does not shift the grid
      return { counts };
    });
    const scheduler = await start([job(execute, { schedule: { intervalMs: MIN } })]);
    expect(scheduler.listJobs()[0].nextRunAt).toBe('2025-06-01T10:16:00.000Z');
    await jest.advanceTimersByTimeAsync(3 * MIN);
    expect(execute).toHaveBeenCalledTimes(3);
    expect((await runs()).map((r) => r.scheduledFor).sort()).toEqual(['2025-06-01T10:16:00.000Z', '2025-06-01T10:17:00.000Z', '2025-06-01T10:18:00.000Z']);
  });

  it('validates trigger parameters before creating a run', async () => {
    const scheduler = await start([job(jest.fn(async () => ({})))]);
    await expect(scheduler.trigger('user_data_kafka_stream', 'fast')).rejects.toThrow('params: must be a JSON object');
    await expect(scheduler.trigger('nope')).rejects.toThrow('no job named "nope"');
    expect(await runs()).toEqual([]);
  });
});
