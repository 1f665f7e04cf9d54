import { SERVICE_AUTH, type AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import type { PipelineSnapshot } from '../src/pipeline/pipeline.service';
import type { RunPage, RunRecord } from '../src/runs/run.model';
import {
  kafkaClient,
  mockIds,
  readIds,
  restartOrchestrator,
  startFullStack,
  stackNames,
  stopFullStack,
  waitForRun,
  type FullStack,
} from './support/full-stack';
import { accounting } from '@userstream/tools/testing/accounting';
import { api, CASSANDRA_CONTACT_POINTS, cassandraClient, KAFKA_BROKERS } from './support/orchestrator.process';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(240_000);

const JOB = 'user_data_kafka_stream';
const RESTART_ERROR = 'orchestrator restarted while the run was active';

/** The ingest app's own view of one of its runs (`GET /runs/:id`). */
interface IngestRun {
  id: string;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  counts: { acknowledged: number };
  error?: string;
}

async function ingestRun(ingest: AppProcess, id: string): Promise<IngestRun> {
  return (await (await fetch(`${ingest.url}/runs/${encodeURIComponent(id)}`, { headers: SERVICE_AUTH })).json()) as IngestRun;
}

describe('orchestrator on the real stack: mock API → ingest → Kafka → stream-processor → Cassandra', () => {
  const names = stackNames('api');
  const cassandra = cassandraClient();
  const webhook = new WebhookReceiver();
  let stack: FullStack | undefined;
  /** The first test's successful run, which must survive the restart in the last test. */
  let succeeded: RunRecord | undefined;

  const current = (): FullStack => {
    if (!stack) throw new Error('the stack did not start');
    return stack;
  };
  const orchestrator = (): AppProcess => current().orchestrator;

  beforeAll(async () => {
    await webhook.start();
    stack = await startFullStack(names, {
      // Quick to give up on a broken API, so the failure path stays short.
      ingestEnv: { RANDOMUSER_MAX_ATTEMPTS: '2', RANDOMUSER_RETRY_INITIAL_DELAY_MS: '50' },
      orchestratorEnv: {
        ORCHESTRATOR_JOB_RETRIES: '1',
        // Long enough for a poll every 100 ms to see the run waiting for its retry, even on a busy machine.
        ORCHESTRATOR_JOB_RETRY_DELAY_MS: '2000',
        ORCHESTRATOR_JOB_MAX_RETRY_DELAY_MS: '2000',
        ORCHESTRATOR_WEBHOOK_URL: webhook.url,
        ORCHESTRATOR_WEBHOOK_RETRY_DELAY_MS: '50',
        ORCHESTRATOR_ROW_COUNT_CACHE_MS: '0',
      },
    });
  });

  afterAll(async () => {
    const exits = await stopFullStack(stack, cassandra);
    await webhook.close();
    await cassandra.shutdown();
    // Every app of the pipeline stops cleanly on SIGTERM.
    expect(exits).toEqual(exits.map(({ app }) => ({ app, code: 0, signal: null })));
  });

  it('triggers the reference job over HTTP Basic, follows the real ingest run to success and confirms the rows in Cassandra', async () => {
    const seed = `orch-full-stack-${Date.now()}`;
    const trigger = await api<RunRecord>(orchestrator(), 'POST', `/api/jobs/${JOB}/trigger`, { params: { records: 5000, seed, pageSize: 5000 } });
    expect(trigger.status).toBe(202);
    expect(trigger.body).toMatchObject({ job: JOB, state: 'queued', trigger: 'manual', params: { records: 5000, seed } });

    const run = await waitForRun(orchestrator, trigger.body.id, ['success', 'failed'], 90_000);
    expect(run).toMatchObject({
      state: 'success',
      tryNumber: 1,
      maxTries: 2,
      counts: { pagesFetched: 1, fetched: 5000, valid: 5000, invalid: 0, produced: 5000, acknowledged: 5000 },
      cursor: { seed, startPage: 1, nextPage: 2 },
    });
    expect(run.error).toBeUndefined();
    expect(run.tries).toEqual([expect.objectContaining({ tryNumber: 1, state: 'success', ingestRunId: run.ingestRunId })]);

    // The orchestrator's counts are the ingest app's own.
    const fromIngest = await ingestRun(current().ingest, run.ingestRunId ?? '');
    expect(fromIngest).toMatchObject({ state: 'succeeded', counts: run.counts });

    // The offset range: the first run on a fresh topic holds every record of it, offsets from 0.
    expect(run.offsets?.topic).toBe(names.topic);
    const partitions = run.offsets?.partitions ?? [];
    expect(partitions.length).toBeGreaterThan(1);
    expect(partitions.reduce((sum, p) => sum + p.last - p.first + 1, 0)).toBe(5000);
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(names.topic);
      for (const p of partitions) {
        expect(p.first).toBe(0);
        expect(Number(ends.find((e) => e.partition === p.partition)?.high)).toBe(p.last + 1);
      }
      // Partitions the run did not report hold nothing.
      const reported = new Set(partitions.map((p) => p.partition));
      for (const e of ends)
        if (!reported.has(e.partition)) expect({ partition: e.partition, high: Number(e.high) }).toEqual({ partition: e.partition, high: 0 });
    } finally {
      await admin.disconnect();
    }

    // Rows written become known once the processor's group committed past the run's offsets.
    const confirmed = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(orchestrator(), 'GET', `/api/runs/${run.id}`);
        return body.rowsWritten.state === 'pending' ? undefined : body;
      },
      { timeoutMs: 90_000, intervalMs: 500, description: 'rows written of the run to be decided' },
    );
    expect(confirmed.rowsWritten).toEqual({ state: 'known', value: 5000 });

    // Straight from Cassandra: exactly the users the mock served for the seed, each once.
    const ids = await readIds(cassandra, names.sinkKeyspace);
    expect(ids).toHaveLength(5000);
    expect(new Set(ids)).toEqual(new Set(mockIds(seed, 1, 1, 5000)));

    // The pipeline panel agrees: the processor is ready and wrote them, nothing lags, the table holds 5000 rows.
    const pipeline = await waitFor(
      async () => {
        const { body } = await api<PipelineSnapshot>(orchestrator(), 'GET', '/api/pipeline');
        return body.kafka.topic.lagTotal === 0 && body.table.rows === 5000 ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'the pipeline snapshot to show the rows and no lag' },
    );
    expect(pipeline.apps.processor).toMatchObject({ ok: true, metrics: { recordsWritten: 5000 } });
    // The processor's labelled counter has no sample before its first dead letter; either way none went to the DLQ.
    expect(pipeline.apps.processor.metrics?.recordsDeadLettered ?? 0).toBe(0);
    expect(pipeline.kafka.dlq.depth).toBe(0);
    expect(pipeline.apps.ingest.ok).toBe(true);
    expect(pipeline.kafka.topic.partitions.reduce((sum, p) => sum + p.endOffset, 0)).toBe(5000);
    expect(pipeline.table).toMatchObject({ kind: 'exact', rows: 5000 });
    succeeded = confirmed;
  });

  it('retries a run the broken API fails, fails it for good with the reason and calls the webhook', async () => {
    const mock = current().mock;
    mock.setFaults({ rate5xx: 1 });
    mock.resetStats();
    try {
      const before = webhook.calls.length;
      const { status, body: queued } = await api<RunRecord>(orchestrator(), 'POST', `/api/jobs/${JOB}/trigger`, { params: { records: 100 } });
      expect(status).toBe(202);

      // Every state change, as a poll sees it.
      const seen: RunRecord[] = [];
      const failed = await waitFor(
        async () => {
          const { body } = await api<RunRecord>(orchestrator(), 'GET', `/api/runs/${queued.id}`);
          if (seen.at(-1)?.state !== body.state) seen.push(body);
          return body.state === 'failed' || body.state === 'success' ? body : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, description: `run ${queued.id} to fail for good` },
      );
      // The run waited for its retry (2 s, long enough for the polls to see it), then failed; it never succeeded.
      // The second try itself can be over between two polls: ingest gives up within milliseconds.
      const states = seen.map((r) => r.state);
      expect(states).toContain('up_for_retry');
      expect(states.slice(states.indexOf('up_for_retry') + 1).filter((s) => s !== 'running')).toEqual(['failed']);
      const waiting = seen.find((r) => r.state === 'up_for_retry');
      expect(waiting).toMatchObject({ tryNumber: 1, maxTries: 2, tries: [expect.objectContaining({ tryNumber: 1, state: 'failed' })] });
      const nextTryAt = Date.parse(waiting?.nextTryAt ?? '');
      expect(nextTryAt - Date.parse(waiting?.tries[0].endedAt ?? '')).toBeGreaterThanOrEqual(2000);

      // The real ingest's reason, with the try numbers and one ingest run per try.
      expect(failed).toMatchObject({ state: 'failed', tryNumber: 2, maxTries: 2 });
      expect(failed.error).toMatch(/^ingest run \S+ failed: .*HTTP 5\d\d.*gave up after 2 attempts/);
      expect(failed.tries.map((t) => [t.tryNumber, t.state])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
      ]);
      for (const t of failed.tries) expect(t.error).toMatch(/^ingest run \S+ failed: /);
      // The retry started when it was due (timers may fire a millisecond early against the wall clock).
      expect(Date.parse(failed.tries[1].startedAt)).toBeGreaterThanOrEqual(nextTryAt - 5);
      expect(new Set(failed.tries.map((t) => t.ingestRunId)).size).toBe(2);
      for (const t of failed.tries)
        expect(await ingestRun(current().ingest, t.ingestRunId ?? '')).toMatchObject({ state: 'failed', counts: { acknowledged: 0 } });

      const call = await waitFor(() => webhook.calls.slice(before).find((c) => (c.body as { runId?: string }).runId === queued.id), {
        timeoutMs: 15_000,
        description: 'the failure webhook',
      });
      expect(call.body).toMatchObject({ event: 'run.failed', job: JOB, runId: queued.id, tries: 2, maxTries: 2, error: failed.error });
      // Two tries, each giving up after RANDOMUSER_MAX_ATTEMPTS=2 requests for its one page; none answered.
      expect(mock.stats()).toMatchObject({ requests: 4, pagesServed: 0 });
    } finally {
      mock.setFaults({});
    }
  });

  it('retries the try the orchestrator was killed during, after stopping its ingest run, and duplicates nothing in Cassandra', async () => {
    expect(succeeded).toBeDefined();
    // Slowed down so it is still streaming when the orchestrator dies; a seed, so the retry replays the same users.
    const seed = 'orch-sigkill';
    const { body: queued } = await api<RunRecord>(orchestrator(), 'POST', `/api/jobs/${JOB}/trigger`, {
      params: { records: 9000, rate: 300, seed, pageSize: 5000 },
    });
    const running = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(orchestrator(), 'GET', `/api/runs/${queued.id}`);
        return body.state === 'running' && body.ingestRunId && (body.counts?.acknowledged ?? 0) > 0 ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: 'the run to be streaming' },
    );
    const ingestRunId = running.ingestRunId ?? '';

    const killed = await orchestrator().stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    // Nobody is left to say so: the history still says running, and ingest goes on.
    const row = (await cassandra.execute(`SELECT state FROM ${names.historyKeyspace}.runs WHERE id = ?`, [queued.id], { prepare: true })).first();
    expect(row.get('state')).toBe('running');
    expect((await ingestRun(current().ingest, ingestRunId)).state).toBe('running');

    const before = webhook.calls.length;
    await restartOrchestrator(current());
    // The killed try is marked failed; the run is not: it is up for retry, as after any failed try.
    const { body: recovered } = await api<RunRecord>(orchestrator(), 'GET', `/api/runs/${queued.id}`);
    expect(recovered.tries[0]).toMatchObject({ tryNumber: 1, state: 'failed', error: RESTART_ERROR, ingestRunId });
    expect(['up_for_retry', 'running', 'success']).toContain(recovered.state);

    // The real ingest run it was following is cancelled, long before its end.
    const cancelled = await waitFor(
      async () => {
        const status = await ingestRun(current().ingest, ingestRunId);
        return status.state === 'running' ? undefined : status;
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'the orphaned ingest run to stop' },
    );
    expect(cancelled.state).toBe('cancelled');

    // The retry replays the run whole and succeeds.
    const retried = await waitForRun(orchestrator, queued.id, ['success'], 90_000);
    expect(retried).toMatchObject({ tryNumber: 2, counts: { acknowledged: 9000 } });
    expect(retried.tries.map((t) => t.state)).toEqual(['failed', 'success']);
    expect(retried.tries[1].ingestRunId).not.toBe(ingestRunId);

    // Nothing is duplicated: every user id on the topic is one row, read back by clients that are not ours.
    const result = await waitFor(
      async () => {
        const counted = await accounting('orchestrator killed mid-run, then retried', {
          brokers: KAFKA_BROKERS,
          topic: names.topic,
          group: names.groupId,
          contactPoints: CASSANDRA_CONTACT_POINTS,
          keyspace: names.sinkKeyspace,
        });
        return counted.committedLag === 0 ? counted : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2000, description: 'the processor to commit everything' },
    );
    expect(result).toMatchObject({ missing: 0, extra: 0, committedLag: 0, dlq: 0 });
    expect(result.rows).toBe(result.topicIds);
    const ids = new Set(await readIds(cassandra, names.sinkKeyspace));
    expect(mockIds(seed, 1, 1, 3000).every((id) => ids.has(id))).toBe(true);
    // It did not fail for good, so nobody was paged.
    expect(webhook.calls.slice(before).filter((c) => (c.body as { runId?: string }).runId === queued.id)).toEqual([]);

    // The history survived: the earlier runs are still listed, newest first, the successful one with its counts and rows.
    const { body: page } = await api<RunPage>(orchestrator(), 'GET', `/api/runs?job=${JOB}&limit=10`);
    expect(page.runs.map((r) => [r.id, r.state])).toEqual([
      [queued.id, 'success'],
      [expect.any(String), 'failed'],
      [succeeded?.id, 'success'],
    ]);
    expect(page.runs[2]).toMatchObject({ counts: { acknowledged: 5000 }, rowsWritten: { state: 'known', value: 5000 }, offsets: succeeded?.offsets });
    // And the job is free for the next run.
    const { body: jobs } = await api<{ jobs: Array<{ name: string; activeRun?: unknown }> }>(orchestrator(), 'GET', '/api/jobs');
    expect(jobs.jobs.find((j) => j.name === JOB)?.activeRun).toBeUndefined();
  });
});
