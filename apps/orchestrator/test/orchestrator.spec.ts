import type { AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import type { RunPage, RunRecord } from '../src/runs/run.model';
import type { JobView } from '../src/scheduler/scheduler.service';
import { FakeIngest } from './support/fake-ingest.server';
import { api, BASIC, cassandraClient, PASSWORD, startOrchestrator, uniqueName, USER } from './support/orchestrator.process';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(120_000);

const JOB = 'user_data_kafka_stream';

describe('orchestrator on the real Cassandra, driving a fake ingest', () => {
  const keyspace = uniqueName('orch_it');
  const ingest = new FakeIngest();
  const webhook = new WebhookReceiver();
  const cassandra = cassandraClient();
  let app: AppProcess;

  const start = async (env: Record<string, string> = {}) => {
    app = await startOrchestrator({
      ORCHESTRATOR_KEYSPACE: keyspace,
      ORCHESTRATOR_INGEST_URL: ingest.url,
      ORCHESTRATOR_WEBHOOK_URL: webhook.url,
      ORCHESTRATOR_WEBHOOK_RETRY_DELAY_MS: '20',
      // A topic nobody uses, so the dashboard data does not depend on other tests.
      KAFKA_TOPIC: uniqueName('orch_it_topic'),
      ...env,
    });
    return app;
  };

  const waitForRun = (id: string, states: string[], timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const { body } = await api<RunRecord>(app, 'GET', `/api/runs/${id}`);
        return states.includes(body.state) ? body : undefined;
      },
      { timeoutMs, intervalMs: 50, description: `run ${id} to reach ${states.join(' or ')}` },
    );

  beforeAll(async () => {
    await Promise.all([ingest.start(), webhook.start()]);
    await start();
  });

  afterEach(() => {
    ingest.plan = () => ({ outcome: 'succeed' });
    webhook.statuses = [];
  });

  afterAll(async () => {
    await app?.stop('SIGTERM');
    await Promise.all([ingest.close(), webhook.close()]);
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cassandra.shutdown();
  });

  it('keeps the dashboard, the API, readiness and metrics behind a login; liveness stays open', async () => {
    const a = app;
    expect((await fetch(`${a.url}/api/jobs`)).status).toBe(401);
    expect((await fetch(`${a.url}/api/runs`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:wrong`).toString('base64')}` } })).status).toBe(401);
    expect((await fetch(`${a.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${a.url}/health/ready`)).status).toBe(401);
    expect((await fetch(`${a.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${a.url}/health/ready`, { headers: { authorization: BASIC } })).status).toBe(200);
    expect((await fetch(`${a.url}/metrics`, { headers: { authorization: BASIC } })).status).toBe(200);

    const page = await fetch(`${a.url}/`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2F');
    const form = await fetch(`${a.url}/login`);
    expect(await form.text()).toContain('action="/login"');

    const login = await fetch(`${a.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: USER, password: PASSWORD, next: '/' }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const dashboard = await fetch(`${a.url}/`, { headers: { cookie } });
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await dashboard.text()).toContain('Recent runs');
    const jobs = await fetch(`${a.url}/api/jobs`, { headers: { cookie } });
    expect(jobs.status).toBe(200);
  });

  it('lists the reference job with its policy and next run', async () => {
    const { status, body } = await api<{ jobs: JobView[] }>(app, 'GET', '/api/jobs');
    expect(status).toBe(200);
    expect(body.jobs).toHaveLength(1);
    expect(body.jobs[0]).toMatchObject({
      name: JOB,
      schedule: { cron: '0 0 1 1 *' },
      params: { durationSeconds: 60 },
      policy: { retries: 2, exponentialBackoff: true, maxActiveRuns: 1, catchup: false },
      paused: false,
    });
    expect(Date.parse(body.jobs[0].nextRunAt ?? '')).toBeGreaterThan(Date.now());
  });

  it('refuses bad trigger parameters with 400 and the reason, unknown jobs with 404', async () => {
    const bad = await api(app, 'POST', `/api/jobs/${JOB}/trigger`, { params: { records: -5 } });
    expect(bad).toEqual({ status: 400, body: { error: 'invalid_params', message: 'params: records must be an integer from 1 to 10000000 (got -5)' } });
    const typo = await api(app, 'POST', `/api/jobs/${JOB}/trigger`, { parms: {} });
    expect(typo.status).toBe(400);
    expect(typo.body).toMatchObject({ message: 'body.parms: unknown field (send {"params": {...}})' });
    const unknown = await api(app, 'POST', '/api/jobs/nope/trigger', {});
    expect(unknown).toEqual({ status: 404, body: { error: 'job_not_found', message: 'no job named "nope"' } });
    const limit = await api(app, 'GET', '/api/runs?limit=1000');
    expect(limit.status).toBe(400);
    expect((await api(app, 'GET', '/api/runs?pageToken=zz')).status).toBe(400);
    expect((await api(app, 'GET', '/api/runs/not-a-run')).status).toBe(404);
  });

  it('runs a triggered ingest run to success, keeps it in Cassandra and pages the history newest first', async () => {
    ingest.plan = () => ({ outcome: 'succeed', durationMs: 300 });
    const first = await api<RunRecord>(app, 'POST', `/api/jobs/${JOB}/trigger`, { params: { records: 120, seed: 'it-seed' } });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ job: JOB, state: 'queued', trigger: 'manual', params: { durationSeconds: 60, records: 120, seed: 'it-seed' } });

    // Runs never overlap: a second trigger while the first is active is refused.
    const conflict = await api(app, 'POST', `/api/jobs/${JOB}/trigger`, {});
    expect(conflict.status).toBe(409);

    const done = await waitForRun(first.body.id, ['success', 'failed']);
    expect(done).toMatchObject({
      state: 'success',
      tryNumber: 1,
      counts: { pagesFetched: 3, fetched: 121, valid: 120, invalid: 1, produced: 120, acknowledged: 120 },
      cursor: { seed: 'it-seed', startPage: 1, nextPage: 4 },
      offsets: { topic: 'users_created', partitions: [expect.objectContaining({ partition: 0 }), expect.objectContaining({ partition: 1 })] },
    });
    expect(done.ingestRunId).toMatch(/^fake-/);
    expect(ingest.calls('POST').at(-1)?.body).toEqual({ durationSeconds: 60, records: 120, seed: 'it-seed' });

    // Straight from Cassandra: the history is really there.
    const row = (
      await cassandra.execute(`SELECT state, try_number, counts, params FROM ${keyspace}.runs WHERE id = ?`, [first.body.id], { prepare: true })
    ).first();
    expect(row['state']).toBe('success');
    expect(row['try_number']).toBe(1);
    expect(JSON.parse(row['counts'])).toMatchObject({ acknowledged: 120 });

    const second = await api<RunRecord>(app, 'POST', `/api/jobs/${JOB}/trigger`, { params: { records: 10 } });
    await waitForRun(second.body.id, ['success']);

    const page1 = await api<RunPage>(app, 'GET', `/api/runs?job=${JOB}&limit=1`);
    expect(page1.body.runs.map((r) => r.id)).toEqual([second.body.id]);
    expect(page1.body.nextPageToken).toBeDefined();
    const page2 = await api<RunPage>(app, 'GET', `/api/runs?job=${JOB}&limit=1&pageToken=${page1.body.nextPageToken}`);
    expect(page2.body.runs.map((r) => r.id)).toEqual([first.body.id]);
  });

  it('retries a failing run by its policy, fails it for good and calls the webhook, retrying the webhook too', async () => {
    ingest.plan = () => ({ outcome: 'fail', durationMs: 50, error: 'randomuser API kept failing: HTTP 503' });
    webhook.statuses = [500];
    const before = webhook.calls.length;
    const { body: queued } = await api<RunRecord>(app, 'POST', `/api/jobs/${JOB}/trigger`, { params: { records: 5 } });
    const failed = await waitForRun(queued.id, ['failed', 'success']);
    expect(failed).toMatchObject({ state: 'failed', tryNumber: 3, maxTries: 3 });
    expect(failed.error).toMatch(/^ingest run fake-\S+ failed: randomuser API kept failing: HTTP 503$/);
    expect(failed.tries.map((t) => t.state)).toEqual(['failed', 'failed', 'failed']);
    // Three different ingest runs, one per try.
    expect(new Set(failed.tries.map((t) => t.ingestRunId)).size).toBe(3);

    await waitFor(() => webhook.calls.length >= before + 2 || undefined, { timeoutMs: 10_000, description: 'the webhook call and its retry' });
    const calls = webhook.calls.slice(before);
    expect(calls.map((c) => c.status)).toEqual([500, 200]);
    expect(calls[1].body).toMatchObject({ event: 'run.failed', job: JOB, runId: queued.id, tries: 3, maxTries: 3, error: failed.error });
  });

  it('keeps a pause across restarts', async () => {
    const paused = await api<JobView>(app, 'POST', `/api/jobs/${JOB}/pause`);
    expect(paused.body).toMatchObject({ name: JOB, paused: true });
    expect(paused.body.nextRunAt).toBeUndefined();
    await app.stop('SIGTERM');
    await start();
    const { body } = await api<JobView>(app, 'GET', `/api/jobs/${JOB}`);
    expect(body.paused).toBe(true);
    const resumed = await api<JobView>(app, 'POST', `/api/jobs/${JOB}/unpause`);
    expect(resumed.body.paused).toBe(false);
    expect(resumed.body.nextRunAt).toBeDefined();
  });

  it('fails the try a crash left running at the next start, stops its ingest run, and retries the run', async () => {
    ingest.plan = () => ({ outcome: 'hang' });
    const { body: queued } = await api<RunRecord>(app, 'POST', `/api/jobs/${JOB}/trigger`, {});
    const running = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(app, 'GET', `/api/runs/${queued.id}`);
        return body.state === 'running' && body.ingestRunId ? body : undefined;
      },
      { timeoutMs: 10_000, description: 'the run to be running with its ingest run id saved' },
    );
    await waitFor(() => ingest.calls('GET').some((c) => c.path === `/runs/${running.ingestRunId}`) || undefined, {
      timeoutMs: 10_000,
      description: 'the ingest run being polled',
    });

    const crashed = await app.stop('SIGKILL');
    expect(crashed.signal).toBe('SIGKILL');
    const stillRunning = (await cassandra.execute(`SELECT state FROM ${keyspace}.runs WHERE id = ?`, [queued.id], { prepare: true })).first();
    expect(stillRunning['state']).toBe('running');

    // The retry will succeed.
    ingest.plan = () => ({ outcome: 'succeed', durationMs: 100 });
    const before = webhook.calls.length;
    await start();
    // The ingest run the dead process was following is stopped.
    await waitFor(() => ingest.runs.get(running.ingestRunId ?? '')?.status.state === 'cancelled' || undefined, {
      timeoutMs: 10_000,
      description: 'the orphaned ingest run to be cancelled',
    });
    // The killed try failed; the run was retried like after any failed try, and succeeded.
    const done = await waitForRun(queued.id, ['success', 'failed']);
    expect(done).toMatchObject({ state: 'success', tryNumber: 2 });
    expect(done.tries[0]).toMatchObject({ state: 'failed', error: 'orchestrator restarted while the run was active', ingestRunId: running.ingestRunId });
    expect(done.tries[1].ingestRunId).not.toBe(running.ingestRunId);
    // It never failed for good: no failure webhook.
    expect(webhook.calls.slice(before).filter((c) => (c.body as { runId?: string }).runId === queued.id)).toEqual([]);
    // The job is free again.
    const jobs = await api<{ jobs: JobView[] }>(app, 'GET', '/api/jobs');
    expect(jobs.body.jobs[0].activeRun).toBeUndefined();
  });

  it('on SIGTERM cancels the ingest run in flight, fails its run and exits 0', async () => {
    ingest.plan = () => ({ outcome: 'hang' });
    const { body: queued } = await api<RunRecord>(app, 'POST', `/api/jobs/${JOB}/trigger`, {});
    const running = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(app, 'GET', `/api/runs/${queued.id}`);
        return body.state === 'running' && body.ingestRunId ? body : undefined;
      },
      { timeoutMs: 10_000, description: 'the run to be running with its ingest run id saved' },
    );
    await expect(app.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
    expect(ingest.runs.get(running.ingestRunId ?? '')?.status.state).toBe('cancelled');
    const row = (await cassandra.execute(`SELECT state, error FROM ${keyspace}.runs WHERE id = ?`, [queued.id], { prepare: true })).first();
    expect({ state: row['state'], error: row['error'] }).toEqual({ state: 'failed', error: 'orchestrator shut down while the run was active' });
    await start();
  });

  it('cancels the ingest run and fails the run when a try passes its execution timeout', async () => {
    await app.stop('SIGTERM');
    await start({ ORCHESTRATOR_JOB_DURATION_SECONDS: '1', ORCHESTRATOR_JOB_TIMEOUT_MS: '1500', ORCHESTRATOR_JOB_RETRIES: '0' });
    ingest.plan = () => ({ outcome: 'hang' });
    const { body: queued } = await api<RunRecord>(app, 'POST', `/api/jobs/${JOB}/trigger`, {});
    const failed = await waitForRun(queued.id, ['failed', 'success']);
    expect(failed).toMatchObject({ state: 'failed', tryNumber: 1, maxTries: 1, error: 'try 1 ran past the execution timeout of 1500 ms' });
    expect(ingest.calls('DELETE').map((c) => c.path)).toContain(`/runs/${failed.ingestRunId}`);
    expect(ingest.runs.get(failed.ingestRunId ?? '')?.status.state).toBe('cancelled');
  });
});
