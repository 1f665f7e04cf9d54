import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { KafkaClient } from '@userstream/kafka';
import { waitFor } from '@userstream/core';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { stackConfig, stackDown, stackUp } from '@userstream/tools/stack';
import { freePort, startAppProcess, type AppProcess } from '@userstream/tools/testing';
import { CassandraConnection } from '../src/runs/cassandra.connection';
import type { RunRecord } from '../src/runs/run.model';
import { mockIds, waitForRun } from './support/full-stack';
import { api, startOrchestrator, uniqueName } from './support/orchestrator.process';

// The whole pipeline on a stack that demands credentials and TLS
// (`npm run stack:up -- --secure`): Kafka with only a SASL_SSL listener
// (SCRAM-SHA-512) and Cassandra with PasswordAuthenticator, CassandraAuthorizer,
// no default superuser and client TLS, both with certificates from a CA the
// stack made. A throw-away stack in its own directory and on its own ports, so
// the shared dev stack keeps running.

jest.setTimeout(300_000);

const APPS = join(__dirname, '..', '..');
const INGEST_ENTRY = join(APPS, 'ingest', 'dist', 'main.js');
const PROCESSOR_ENTRY = join(APPS, 'stream-processor', 'dist', 'main.js');

describe('the pipeline on the secured stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'userstream-secure-stack-'));
  const names = { topic: uniqueName('sec'), groupId: uniqueName('sec_group'), sinkKeyspace: uniqueName('sec_sink'), historyKeyspace: uniqueName('sec_hist') };
  let env: NodeJS.ProcessEnv;
  let stackEnv: Record<string, string>;
  let mock: MockApi;
  const apps: AppProcess[] = [];
  let secrets: { kafka: string; cassandra: string; ca: Buffer };

  beforeAll(async () => {
    env = {
      ...process.env,
      USERSTREAM_STACK_DIR: dir,
      STACK_SECURE: '1',
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      CASSANDRA_PORT: String(await freePort()),
      CASSANDRA_STORAGE_PORT: String(await freePort()),
      CASSANDRA_JMX_PORT: String(await freePort()),
    };
    await stackUp({ env, log: () => undefined });
    stackEnv = stackConfig(env).env as Record<string, string>;
    secrets = {
      kafka: readFileSync(stackEnv['KAFKA_SASL_PASSWORD_FILE'], 'utf8').trim(),
      cassandra: readFileSync(stackEnv['CASSANDRA_PASSWORD_FILE'], 'utf8').trim(),
      ca: readFileSync(stackEnv['KAFKA_SSL_CA_FILE']),
    };
    mock = await startMockApi();
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop('SIGTERM')));
    await mock?.close();
    await stackDown({ env, log: () => undefined });
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs ingest → Kafka → stream-processor → Cassandra, driven and watched by the orchestrator', async () => {
    const common = { ...stackEnv, LOG_LEVEL: 'info', KAFKA_TOPIC: names.topic };
    const [ingest, processor] = await Promise.all([
      startAppProcess(INGEST_ENTRY, { env: { ...common, RANDOMUSER_BASE_URL: mock.url, KAFKA_TOPIC_PARTITIONS: '2' }, timeoutMs: 60_000 }),
      startAppProcess(PROCESSOR_ENTRY, { env: { ...common, KAFKA_GROUP_ID: names.groupId, CASSANDRA_KEYSPACE: names.sinkKeyspace }, timeoutMs: 60_000 }),
    ]);
    apps.push(ingest, processor);
    const orchestrator = await startOrchestrator({
      ...common,
      ORCHESTRATOR_KEYSPACE: names.historyKeyspace,
      ORCHESTRATOR_INGEST_URL: ingest.url,
      ORCHESTRATOR_PROCESSOR_URL: processor.url,
      KAFKA_GROUP_ID: names.groupId,
      CASSANDRA_KEYSPACE: names.sinkKeyspace,
      CASSANDRA_USERS_TABLE: 'users',
    });
    apps.push(orchestrator);

    const seed = 'secure-stack';
    const { body: queued } = await api<RunRecord>(orchestrator, 'POST', '/api/jobs/user_data_kafka_stream/trigger', {
      params: { records: 600, seed, durationSeconds: null },
    });
    const run = await waitForRun(() => orchestrator, queued.id, ['success', 'failed'], 120_000);
    expect(run).toMatchObject({ state: 'success', counts: { acknowledged: 600 } });

    // Read back as the app's user, over TLS, trusting only the stack's CA.
    const cassandra = new Client({
      contactPoints: [stackEnv['CASSANDRA_CONTACT_POINTS']],
      localDataCenter: 'datacenter1',
      credentials: { username: stackEnv['CASSANDRA_USERNAME'], password: secrets.cassandra },
      sslOptions: { ca: [secrets.ca], rejectUnauthorized: true },
    });
    try {
      const ids = await waitFor(
        async () => {
          const rows = (await cassandra.execute(`SELECT id FROM ${names.sinkKeyspace}.users`, [], { fetchSize: 5000 })).rows.map((r) => String(r.get('id')));
          return rows.length >= 600 ? new Set(rows) : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, description: '600 rows written' },
      );
      expect(ids.size).toBe(600);
      expect(
        mockIds(seed, 1, 5, 1000)
          .slice(0, 600)
          .every((id) => ids.has(id)),
      ).toBe(true);
    } finally {
      await cassandra.shutdown();
    }

    // The orchestrator reads the secured Kafka too (lag, topic) and sees both apps ready.
    const snapshot = await waitFor(
      async () => {
        const { body } = await api<{ kafka: { ok: boolean; error?: string }; apps: Record<string, { ok: boolean }> }>(orchestrator, 'GET', '/api/pipeline');
        return body.kafka.ok && body.apps['ingest'].ok && body.apps['processor'].ok ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'the dashboard snapshot to show Kafka and both apps healthy' },
    );
    expect(snapshot.kafka.error).toBeUndefined();

    // No password of the stack in any log line of any app.
    for (const app of apps) {
      const output = app.output();
      expect(output.length).toBeGreaterThan(0);
      expect(output).not.toContain(secrets.kafka);
      expect(output).not.toContain(secrets.cassandra);
    }
  });

  describe('refuses clients', () => {
    const kafkaPing = async (options: ConstructorParameters<typeof KafkaClient>[0]) => {
      const kafka = new KafkaClient({ ...options, connectionTimeoutMs: 5000, requestTimeoutMs: 5000, retry: { retries: 0 } });
      const admin = kafka.admin();
      try {
        await admin.ping();
        return 'connected';
      } catch (error) {
        return String((error as Error).message);
      } finally {
        await admin.close().catch(() => undefined);
      }
    };
    const cassandraConnect = async (options: { username?: string; password?: string; ca?: Buffer }) => {
      const connection = new CassandraConnection({
        contactPoints: [stackEnv['CASSANDRA_CONTACT_POINTS']],
        localDataCenter: 'datacenter1',
        ...(options.username ? { username: options.username, password: options.password } : {}),
        ssl: options.ca ? { ca: [options.ca] } : {},
        connectTimeoutMs: 20_000,
      });
      try {
        await connection.connect();
        return 'connected';
      } catch (error) {
        return String((error as Error).message);
      } finally {
        await connection.close().catch(() => undefined);
      }
    };

    it('on Kafka: without credentials, with a wrong password, and when the CA is not trusted', async () => {
      const brokers = [stackEnv['KAFKA_BROKERS']];
      const sasl = { mechanism: 'scram-sha-512' as const, username: 'userstream' };
      expect(await kafkaPing({ brokers, ssl: { ca: [secrets.ca] }, sasl: { ...sasl, password: secrets.kafka } })).toBe('connected');
      expect(await kafkaPing({ brokers, ssl: { ca: [secrets.ca] } })).not.toBe('connected');
      expect(await kafkaPing({ brokers, ssl: { ca: [secrets.ca] }, sasl: { ...sasl, password: 'not-the-password' } })).toMatch(
        /SASL SCRAM SHA512 authentication failed|authentication/i,
      );
      expect(await kafkaPing({ brokers, ssl: true, sasl: { ...sasl, password: secrets.kafka } })).toMatch(/certificate/i);
      expect(await kafkaPing({ brokers })).not.toBe('connected');
    });

    it('on Cassandra: without credentials, with a wrong password, with the default superuser, and when the CA is not trusted', async () => {
      expect(await cassandraConnect({ username: 'userstream', password: secrets.cassandra, ca: secrets.ca })).toBe('connected');
      expect(await cassandraConnect({ ca: secrets.ca })).toMatch(/requires authentication/);
      expect(await cassandraConnect({ username: 'userstream', password: 'not-the-password', ca: secrets.ca })).toMatch(
        /Provided username userstream and\/or password are incorrect/,
      );
      expect(await cassandraConnect({ username: 'cassandra', password: 'cassandra', ca: secrets.ca })).toMatch(
        /Provided username cassandra and\/or password are incorrect/,
      );
      expect(await cassandraConnect({ username: 'userstream', password: secrets.cassandra })).toMatch(/certificate/i);
    });
  });
});
