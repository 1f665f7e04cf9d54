import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import type { AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import type { PipelineSnapshot } from '../src/pipeline/pipeline.service';
import type { RunRecord } from '../src/runs/run.model';
import { FakeIngest } from './support/fake-ingest.server';
import { api, cassandraClient, KAFKA_BROKERS, startOrchestrator, uniqueName } from './support/orchestrator.process';

jest.setTimeout(120_000);

/** A stand-in stream-processor: ready, with the metrics the dashboard reads. */
async function fakeProcessor(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/health/ready') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', checks: { kafka: { ok: true }, cassandra: { ok: true } } }));
    } else if (req.url === '/metrics') {
      res.end(
        'userstream_processor_records_written_total{table="users_created"} 7\nuserstream_processor_records_dead_lettered_total 3\nuserstream_processor_consumer_lag{partition="0"} 0\n',
      );
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('pipeline health and rows written, on the real Kafka and Cassandra', () => {
  const topic = uniqueName('orch_pipe');
  const dlq = `${topic}.dlq`;
  const groupId = uniqueName('orch_group');
  const historyKeyspace = uniqueName('orch_pipe_hist');
  const sinkKeyspace = uniqueName('orch_pipe_sink');
  const kafka = new Kafka({ clientId: 'orchestrator-test', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.ERROR });
  const cassandra = cassandraClient();
  const ingest = new FakeIngest();
  let admin: Admin;
  let producer: Producer;
  let processor: { url: string; close: () => Promise<void> };
  let app: AppProcess;

  const produce = (t: string, partition: number, count: number) =>
    producer.send({ topic: t, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition })) });
  const snapshot = async () => (await api<PipelineSnapshot>(app, 'GET', '/api/pipeline')).body;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 2 },
        { topic: dlq, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await produce(topic, 0, 5);
    await produce(topic, 1, 5);
    await produce(dlq, 0, 3);
    // The processor has handled all of partition 0 and two records of partition 1.
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '5' },
        { partition: 1, offset: '2' },
      ],
    });

    await cassandra.execute(`CREATE KEYSPACE ${sinkKeyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await cassandra.execute(`CREATE TABLE ${sinkKeyspace}.users_created (id uuid PRIMARY KEY, first_name text)`);
    for (const name of ['Ada', 'Grace', 'Linus'])
      await cassandra.execute(`INSERT INTO ${sinkKeyspace}.users_created (id, first_name) VALUES (uuid(), ?)`, [name], { prepare: true });

    processor = await fakeProcessor();
    await ingest.start();
    ingest.topic = topic;
    app = await startOrchestrator({
      ORCHESTRATOR_KEYSPACE: historyKeyspace,
      ORCHESTRATOR_INGEST_URL: ingest.url,
      ORCHESTRATOR_PROCESSOR_URL: processor.url,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      CASSANDRA_KEYSPACE: sinkKeyspace,
      CASSANDRA_USERS_TABLE: 'users_created',
      ORCHESTRATOR_ROW_COUNT_CACHE_MS: '0',
    });
  });

  afterAll(async () => {
    await app?.stop('SIGTERM');
    await Promise.all([ingest.close(), processor?.close()]);
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    for (const ks of [historyKeyspace, sinkKeyspace]) await cassandra.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    await cassandra.shutdown();
  });

  it("shows end offsets and lag per partition, the DLQ depth, the row count and each app's health", async () => {
    const p = await snapshot();
    expect(p.kafka).toEqual({
      ok: true,
      groupId,
      topic: {
        name: topic,
        exists: true,
        partitions: [
          { partition: 0, endOffset: 5, committed: 5, lag: 0 },
          { partition: 1, endOffset: 5, committed: 2, lag: 3 },
        ],
        endTotal: 10,
        lagTotal: 3,
      },
      dlq: { name: dlq, exists: true, depth: 3, partitions: [{ partition: 0, endOffset: 3 }] },
    });
    expect(p.table).toMatchObject({ table: `${sinkKeyspace}.users_created`, rows: 3, kind: 'exact' });
    expect(p.apps.orchestrator.ok).toBe(true);
    expect(p.apps.ingest).toMatchObject({ ok: true, url: `${ingest.url}/` });
    expect(p.apps.processor).toMatchObject({ ok: true, metrics: { recordsWritten: 7, recordsDeadLettered: 3, consumerLag: 0 } });
  });

  it('measures records/s in (produced) and out (committed) between polls', async () => {
    await snapshot();
    await produce(topic, 0, 20);
    // kafkajs's setOffsets joins the group with a short-lived consumer: it takes a few seconds.
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '15' },
        { partition: 1, offset: '2' },
      ],
    });
    // Snapshots are cached for 1 s; wait past it with a deadline rather than a fixed sleep.
    const p = await waitFor(
      async () => {
        const s = await snapshot();
        return s.rates.inPerSec !== null && s.rates.inPerSec > 0 ? s : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 300, description: 'a snapshot with records/s in' },
    );
    const seconds = p.rates.windowSeconds ?? 0;
    expect(p.rates.inPerSec).toBeCloseTo(20 / seconds, 0);
    expect(p.rates.outPerSec).toBeCloseTo(10 / seconds, 0);
  });

  it("knows a run's rows written once the processor group has committed past its offsets", async () => {
    // The run "produced" offsets 25..29 of partition 0 and 5..9 of partition 1.
    await produce(topic, 1, 5);
    ingest.plan = () => ({
      outcome: 'succeed',
      durationMs: 100,
      records: 10,
      offsets: {
        topic,
        partitions: [
          { partition: 0, first: 25, last: 29 },
          { partition: 1, first: 5, last: 9 },
        ],
      },
    });
    await produce(topic, 0, 5);
    const { body: queued } = await api<RunRecord>(app, 'POST', '/api/jobs/user_data_kafka_stream/trigger', { params: { records: 10 } });
    const done = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(app, 'GET', `/api/runs/${queued.id}`);
        return body.state === 'success' ? body : undefined;
      },
      { timeoutMs: 15_000, description: 'the run to succeed' },
    );
    expect(done.rowsWritten).toMatchObject({ state: 'pending', value: null });

    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '30' },
        { partition: 1, offset: '10' },
      ],
    });
    const known = await waitFor(
      async () => {
        const { body } = await api<RunRecord>(app, 'GET', `/api/runs/${queued.id}`);
        return body.rowsWritten.state !== 'pending' ? body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, description: 'rows written to be decided' },
    );
    expect(known.rowsWritten).toEqual({ state: 'known', value: 10 });
  });
});
