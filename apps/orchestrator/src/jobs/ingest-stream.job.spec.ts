import { silentLogger, TimeoutError } from '@userstream/core';
import { FakeIngest } from '../../test/support/fake-ingest.server';
import { IngestClient, IngestError, IngestRejectedError } from '../ingest/ingest.client';
import { createIngestStreamJob, REFERENCE_JOB_NAME } from './ingest-stream.job';
import { ParamsError, PermanentJobError, type JobContext, type JobProgress } from './job.definition';
import type { RunRequest } from '@userstream/ingest-contract';

describe('the reference job against an HTTP ingest', () => {
  const fake = new FakeIngest();

  beforeAll(() => fake.start());
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.plan = () => ({ outcome: 'succeed', durationMs: 100 });
  });

  function makeJob(overrides: { maxPollFailures?: number; baseUrl?: string } = {}) {
    return createIngestStreamJob({
      ingest: new IngestClient({ baseUrl: overrides.baseUrl ?? fake.url, timeoutMs: 1000 }),
      schedule: { cron: '0 * * * *' },
      params: { durationSeconds: 60 },
      retries: 2,
      retryDelayMs: 120_000,
      exponentialBackoff: true,
      maxRetryDelayMs: 600_000,
      executionTimeoutMs: 600_000,
      pollIntervalMs: 20,
      ...(overrides.maxPollFailures !== undefined ? { maxPollFailures: overrides.maxPollFailures } : {}),
    });
  }

  function context(params: RunRequest, signal = new AbortController().signal) {
    const progress: JobProgress[] = [];
    const ctx: JobContext<RunRequest> = { runId: 'r1', tryNumber: 1, params, signal, logger: silentLogger, progress: (p) => progress.push(p) };
    return { ctx, progress };
  }

  it('is the reference DAG: hourly, retries 2, 2 min exponential backoff up to 10 min, no overlap, no catch-up', () => {
    const job = makeJob();
    expect(job).toMatchObject({
      name: REFERENCE_JOB_NAME,
      schedule: { cron: '0 * * * *' },
      params: { durationSeconds: 60 },
      retries: 2,
      retryDelayMs: 120_000,
      exponentialBackoff: true,
      maxRetryDelayMs: 600_000,
      maxActiveRuns: 1,
      catchup: false,
    });
  });

  it('starts an ingest run, follows it to success and returns its counts, cursor and offsets', async () => {
    const { ctx, progress } = context({ durationSeconds: 60, records: 40 });
    const result = await makeJob().execute(ctx);
    expect(fake.calls('POST')).toEqual([{ method: 'POST', path: '/runs', body: { durationSeconds: 60, records: 40 } }]);
    expect(fake.calls('GET').length).toBeGreaterThanOrEqual(1);
    expect(result.ingestRunId).toMatch(/^fake-/);
    expect(result.counts).toMatchObject({ produced: 40, acknowledged: 40 });
    expect(result.offsets).toEqual({
      topic: 'users_created',
      partitions: [expect.objectContaining({ partition: 0 }), expect.objectContaining({ partition: 1 })],
    });
    expect(result.cursor).toMatchObject({ startPage: 1 });
    // Progress was reported from the first answer on, so the dashboard sees the run while it runs.
    expect(progress[0]).toMatchObject({ ingestRunId: result.ingestRunId });
  });

  it("fails the try when the ingest run fails, with ingest's reason", async () => {
    fake.plan = () => ({ outcome: 'fail', durationMs: 50, error: 'randomuser API kept failing: HTTP 503' });
    const { ctx } = context({ durationSeconds: 60 });
    const error = await makeJob()
      .execute(ctx)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as Error).message).toMatch(/^ingest run fake-\S+ failed: randomuser API kept failing: HTTP 503$/);
  });

  it('fails permanently when ingest refuses the parameters (400)', async () => {
    // The orchestrator cannot know whether ingest has a Schema Registry; the (fake) ingest has none.
    const { ctx } = context({ durationSeconds: 60, encoding: 'confluent' });
    const error = await makeJob()
      .execute(ctx)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect((error as Error).message).toContain('ingest refused the parameters: encoding confluent needs a Schema Registry');
  });

  it('cancels the ingest run (DELETE) when the try is aborted', async () => {
    fake.plan = () => ({ outcome: 'hang' });
    const controller = new AbortController();
    const { ctx, progress } = context({ durationSeconds: 60 }, controller.signal);
    const execution = makeJob().execute(ctx);
    while (fake.calls('GET').length < 2) await new Promise((r) => setTimeout(r, 10));
    const reason = new TimeoutError('try 1 ran past the execution timeout');
    controller.abort(reason);
    await expect(execution).rejects.toBe(reason);
    const deletes = fake.calls('DELETE');
    expect(deletes).toHaveLength(1);
    expect(deletes[0].path).toBe(`/runs/${progress[0].ingestRunId}`);
    expect(fake.runs.get(progress[0].ingestRunId ?? '')?.status.state).toBe('cancelled');
  });

  it('tolerates a few failed polls, then gives up on a lost ingest and tries to cancel it', async () => {
    const flaky = new FakeIngest();
    await flaky.start();
    flaky.plan = () => ({ outcome: 'hang' });
    const job = makeJob({ baseUrl: flaky.url, maxPollFailures: 3 });
    const { ctx } = context({ durationSeconds: 60 });
    const execution = job.execute(ctx).catch((e: unknown) => e);
    while (flaky.calls('GET').length < 1) await new Promise((r) => setTimeout(r, 10));
    await flaky.close(); // ingest goes away mid-run
    const error = await execution;
    expect(error).toBeInstanceOf(IngestError);
    expect((error as Error).message).toMatch(/^following ingest run fake-\S+: 3 polls in a row failed/);
  });

  it('cancels an ingest run still running after a crash (abandon), and leaves finished ones alone', async () => {
    fake.plan = () => ({ outcome: 'hang' });
    const client = new IngestClient({ baseUrl: fake.url, timeoutMs: 1000 });
    const orphan = await client.startRun({ durationSeconds: 60 });
    const job = makeJob();
    await job.abandon?.({ ingestRunId: orphan.id }, silentLogger);
    expect(fake.runs.get(orphan.id)?.status.state).toBe('cancelled');
    const deletes = fake.calls('DELETE').length;
    await job.abandon?.({ ingestRunId: orphan.id }, silentLogger);
    expect(fake.calls('DELETE')).toHaveLength(deletes);
  });

  it('validates trigger parameters, including against the execution timeout', () => {
    const job = makeJob();
    expect(job.resolveParams({ records: 10 })).toEqual({ durationSeconds: 60, records: 10 });
    expect(() => job.resolveParams({ durationSeconds: 600 })).toThrow(ParamsError);
    expect(() => job.resolveParams({ durationSeconds: 600 })).toThrow("params.durationSeconds: 600 s does not fit in the job's execution timeout of 600 s");
  });
});

describe('IngestClient', () => {
  const fake = new FakeIngest();
  beforeAll(() => fake.start());
  afterAll(() => fake.close());

  it('maps 400 to IngestRejectedError, 404 to a non-retriable error and a dead server to a retriable one', async () => {
    const client = new IngestClient({ baseUrl: fake.url, timeoutMs: 1000 });
    await expect(client.startRun({ records: -1 })).rejects.toBeInstanceOf(IngestRejectedError);
    await expect(client.getRun('nope')).rejects.toMatchObject({ code: 'INGEST_RUN_NOT_FOUND', retriable: false });
    const down = new IngestClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 });
    await expect(down.getRun('x')).rejects.toMatchObject({ code: 'INGEST_UNREACHABLE', retriable: true });
  });
});
