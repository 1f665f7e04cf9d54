import { waitFor } from '@userstream/core';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import type { AppProcess } from '@userstream/tools/testing';
import { startIngest, startProcessor, uniqueNames, type Names } from '../e2e/pipeline.harness';
import {
  CrashStack,
  accounting,
  committedOffsets,
  getRun,
  groupAssignment,
  metric,
  readiness,
  runFinished,
  settledAccounting,
  startRun,
  writtenAtLeast,
  type Accounting,
  type RunStatus,
} from './crash.harness';

// Every server and app is killed with SIGKILL at some point of a run, on a
// durable single-node stack (group commit log, no unsafesystem), and each
// scenario ends with exact accounting read back by clients that are not ours.

jest.setTimeout(900_000);

describe('crash-proof on one node: SIGKILL of any server or app loses nothing', () => {
  const stack = new CrashStack();
  let mock: MockApi;
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    mock = await startMockApi();
    await stack.up();
  }, 400_000);

  // A scenario that failed half-way must not leave a server down for the next one.
  beforeEach(() => stack.start('both'), 300_000);
  // Nor its apps running: they would only take CPU from the next one.
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop('SIGKILL')));
    await mock?.close();
    await stack.down();
  }, 120_000);

  const ingest = async (names: Names, env: Record<string, string> = {}) => {
    const app = await startIngest(names, mock.url, { ...stack.appEnv, ...env });
    apps.push(app);
    return app;
  };
  // The default session timeout: what users get when an instance dies.
  const processor = async (names: Names, env: Record<string, string> = {}) => {
    const app = await startProcessor(names, { ...stack.appEnv, PROCESSOR_SESSION_TIMEOUT_MS: '8000', ...env });
    apps.push(app);
    return app;
  };
  const account = (scenario: string, names: Names) =>
    settledAccounting(scenario, {
      brokers: stack.brokers,
      topic: names.topic,
      group: names.groupId,
      contactPoints: stack.contactPoints,
      keyspace: names.keyspace,
    });
  const expectExact = (result: Accounting, ids: number) => {
    expect(result).toMatchObject({ topicIds: ids, rows: ids, distinctRows: ids, missing: 0, extra: 0, committedLag: 0, dlq: 0 });
  };
  /** Produces `records` users to a new topic through ingest, at full speed. */
  const preload = async (names: Names, records: number) => {
    const app = await ingest(names);
    const run = await startRun(app, { records, seed: names.topic, pageSize: 5000 });
    expect(await runFinished(app, run.id)).toMatchObject({ state: 'succeeded', counts: { acknowledged: records } });
    await app.stop();
  };

  it('Cassandra killed mid-drain, on a table created seconds before, then restarted', async () => {
    const names = uniqueNames('crash_cassandra');
    await preload(names, 100_000);
    // A fresh keyspace: the processor creates the table as it starts, seconds before the kill.
    const proc = await processor(names);
    const atKill = await writtenAtLeast(proc, 5_000);
    await stack.kill('cassandra');
    expect(atKill).toBeLessThan(100_000);
    expect(await readiness(proc, 503)).toContain('cassandra');
    await stack.start('cassandra');

    const result = await account('cassandra killed mid-drain', names);
    expectExact(result, 100_000);
    // It paused and retried through the outage, never skipped, and is no longer paused.
    expect(await metric(proc, 'userstream_processor_batch_retries_total')).toBeGreaterThan(0);
    expect(await metric(proc, 'userstream_processor_paused')).toBe(0);
    await readiness(proc, 200);
    expect(proc.child.exitCode).toBeNull();
  });

  it('the Kafka broker killed mid-ingest: the run waits for Kafka, resumes and succeeds, with an exact count and no duplicates', async () => {
    const names = uniqueNames('crash_kafka_ingest');
    const app = await ingest(names);
    const proc = await processor(names);
    const run = await startRun(app, { records: 60_000, rate: 4_000, seed: names.topic, pageSize: 1000 });
    await waitFor(async () => ((await getRun(app, run.id)).counts.acknowledged >= 8_000 ? true : undefined), {
      timeoutMs: 60_000,
      description: '8,000 acknowledged',
    });
    await stack.kill('kafka');

    const waiting = await waitFor(async () => (await getRun(app, run.id)).waiting, {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'the run to say it waits for Kafka',
    });
    expect(waiting).toMatchObject({ for: 'kafka' });
    expect(waiting.reason).toMatch(/ECONNREFUSED|Connection/);
    await stack.start('kafka');

    const finished = await runFinished(app, run.id);
    expect(finished).toMatchObject({ state: 'succeeded', counts: { produced: 60_000, acknowledged: 60_000 } });
    expect(finished.waiting).toBeUndefined();
    const result = await account('kafka killed mid-ingest', names);
    expectExact(result, 60_000);
    // The idempotent producer kept its id and sequence numbers across the outage.
    expect(result.topicRecords).toBe(60_000);
    expect(proc.child.exitCode).toBeNull();
  });

  it('an ingest run fails with a clear reason and an exact count when Kafka stays away past the bound', async () => {
    const names = uniqueNames('crash_kafka_bound');
    const app = await ingest(names, { KAFKA_OUTAGE_TIMEOUT_MS: '5000' });
    const run = await startRun(app, { records: 40_000, rate: 4_000, seed: names.topic, pageSize: 1000 });
    await waitFor(async () => ((await getRun(app, run.id)).counts.acknowledged >= 4_000 ? true : undefined), {
      timeoutMs: 60_000,
      description: '4,000 acknowledged',
    });
    await stack.kill('kafka');
    let finished: RunStatus;
    try {
      finished = await runFinished(app, run.id, 120_000);
    } finally {
      await stack.start('kafka');
    }

    expect(finished.state).toBe('failed');
    expect(finished.error).toMatch(/Kafka unreachable for \d+ s, longer than the outage bound of 5 s/);
    const result = await accounting('kafka away past the bound', { brokers: stack.brokers, topic: names.topic, contactPoints: stack.contactPoints });
    // Everything acknowledged is on the topic, once. Requests cut by the kill were not acknowledged:
    // the broker may have written them before it died, so at most `produced` records are there.
    const { acknowledged, produced } = finished.counts;
    expect(result.topicIds).toBe(result.topicRecords);
    expect(result.topicRecords).toBeGreaterThanOrEqual(acknowledged);
    expect(result.topicRecords).toBeLessThanOrEqual(produced);

    // The same app's next run starts on a new producer id: none of its records is taken for a duplicate of the failed ones.
    const next = await startRun(app, { records: 10_000, seed: `${names.topic}-next`, pageSize: 1000 });
    expect(await runFinished(app, next.id)).toMatchObject({ state: 'succeeded', counts: { acknowledged: 10_000 } });
    const after = await accounting('the next run after the failed one', { brokers: stack.brokers, topic: names.topic, contactPoints: stack.contactPoints });
    expect(after.topicRecords).toBe(result.topicRecords + 10_000);
    expect(after.topicIds).toBe(result.topicIds + 10_000);
  });

  it('the Kafka broker killed mid-drain, with pipelined fetches', async () => {
    const names = uniqueNames('crash_kafka_drain');
    await preload(names, 100_000);
    // Few rows in flight, so the drain lasts long enough for the kill to land in the middle of it.
    // Pipelined: batches are in flight beyond kafkajs's fetch position when the broker goes.
    const proc = await processor(names, { CASSANDRA_WRITE_CONCURRENCY: '32', PROCESSOR_MAX_RECORDS_PER_BATCH: '500', PROCESSOR_PIPELINE_DEPTH: '4' });
    const atKill = await writtenAtLeast(proc, 5_000);
    await stack.kill('kafka');
    expect(atKill).toBeLessThan(100_000);
    expect(await readiness(proc, 503)).toContain('kafka');
    await stack.start('kafka');

    const result = await account('kafka killed mid-drain', names);
    expectExact(result, 100_000);
    await readiness(proc, 200);
    expect(proc.child.exitCode).toBeNull();
  });

  it('the processor killed 10 times at random points of a 500,000-record drain, every other time with pipelined fetches', async () => {
    const names = uniqueNames('crash_processor');
    await preload(names, 500_000);
    let written = 0;
    for (let kill = 1; kill <= 10; kill++) {
      const proc = await processor(names, kill % 2 === 0 ? { PROCESSOR_PIPELINE_DEPTH: '4' } : {});
      // A random point: after some more records are written, or before the first one of this instance.
      const target = Math.floor(Math.random() * 30_000);
      if (target > 0) await writtenAtLeast(proc, target, 180_000);
      await proc.stop('SIGKILL');
      written += target;
    }
    console.log(`[processor killed 10 times] at least ${written} records written by the killed instances`);
    await processor(names);
    const result = await account('processor killed 10 times', names);
    expectExact(result, 500_000);
  });

  it('one of two processors killed: with the default settings its partitions are written by the other within 15 s', async () => {
    const names = uniqueNames('crash_takeover');
    const app = await ingest(names);
    await processor(names);
    const second = await processor(names);
    const run = await startRun(app, { records: 120_000, rate: 2_000, seed: names.topic, pageSize: 1000 });
    // A stable group of two, each with partitions, both committing.
    const members = await waitFor(
      async () => {
        const assignment = await groupAssignment(stack.brokers, names.topic, names.groupId);
        return assignment.length === 2 && assignment.every((partitions) => partitions.length > 0) ? assignment : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, description: 'a stable group of two instances, each with partitions' },
    );
    expect(members.flat().sort()).toEqual([0, 1, 2, 3]);
    await writtenAtLeast(second, 1);

    const before = await committedOffsets(stack.brokers, names.topic, names.groupId);
    const killedAt = Date.now();
    await second.stop('SIGKILL');
    // Records keep arriving on every partition: each partition's committed offset moves again only
    // while someone writes it, so the last one to move is the killed instance's, once taken over.
    await waitFor(
      async () => {
        const now = await committedOffsets(stack.brokers, names.topic, names.groupId);
        return [0, 1, 2, 3].every((p) => (now.get(p) ?? -1) > (before.get(p) ?? -1)) ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, description: "the killed instance's partitions to be written by the survivor" },
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`[takeover] every partition written again ${(takeoverMs / 1000).toFixed(1)} s after the kill`);
    const survivor = await waitFor(
      async () => {
        const assignment = await groupAssignment(stack.brokers, names.topic, names.groupId);
        return assignment.length === 1 ? assignment : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'the group to settle with the survivor alone' },
    );
    expect(survivor).toEqual([[0, 1, 2, 3]]);

    expect(await runFinished(app, run.id)).toMatchObject({ state: 'succeeded', counts: { acknowledged: 120_000 } });
    const result = await account('one of two processors killed', names);
    expectExact(result, 120_000);
  });

  it('ingest killed mid-run: what was acknowledged reaches Cassandra, and a replay of the run duplicates nothing', async () => {
    const names = uniqueNames('crash_ingest');
    const proc = await processor(names);
    const first = await ingest(names);
    const run = await startRun(first, { records: 50_000, rate: 5_000, seed: names.topic, pageSize: 1000 });
    await waitFor(async () => ((await getRun(first, run.id)).counts.acknowledged >= 10_000 ? true : undefined), {
      timeoutMs: 60_000,
      description: '10,000 acknowledged',
    });
    await first.stop('SIGKILL');

    // Everything acknowledged before the kill reaches Cassandra.
    const partial = await account('ingest killed mid-run', names);
    expect(partial.topicIds).toBeGreaterThanOrEqual(10_000);
    expect(partial.topicIds).toBeLessThan(50_000);
    expectExact(partial, partial.topicIds);

    // The run is retried whole (same seed and pages): the users already written collapse into their rows.
    const second = await ingest(names);
    const retry = await startRun(second, { records: 50_000, seed: names.topic, pageSize: 1000 });
    expect(await runFinished(second, retry.id)).toMatchObject({ state: 'succeeded', counts: { acknowledged: 50_000 } });
    const result = await account('ingest killed mid-run, then retried', names);
    expectExact(result, 50_000);
    expect(result.topicRecords).toBe(50_000 + partial.topicRecords);
    expect(proc.child.exitCode).toBeNull();
  });
});
