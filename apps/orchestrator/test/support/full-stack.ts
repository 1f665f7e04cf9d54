import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { startMockApi, userUuid, type MockApi } from '@userstream/tools/mock-api';
import { startAppProcess, type AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import type { RunRecord } from '../../src/runs/run.model';
import { api, CASSANDRA_CONTACT_POINTS, CASSANDRA_LOCAL_DC, KAFKA_BROKERS, startOrchestrator } from './orchestrator.process';

// The whole pipeline for the orchestrator's end-to-end tests: the mock
// randomuser API in this process, and the built ingest, stream-processor and
// orchestrator apps as child processes on the real Kafka and Cassandra.

const APPS = join(__dirname, '..', '..', '..');
const INGEST_ENTRY = join(APPS, 'ingest', 'dist', 'main.js');
const PROCESSOR_ENTRY = join(APPS, 'stream-processor', 'dist', 'main.js');

/** Topic, consumer group and keyspaces no other test uses. */
export interface StackNames {
  topic: string;
  groupId: string;
  /** Where the stream-processor writes (`<keyspace>.users`). */
  sinkKeyspace: string;
  /** The orchestrator's run history. */
  historyKeyspace: string;
}

export function stackNames(scenario: string): StackNames {
  const suffix = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
  return {
    topic: `orch_fs_${scenario}_${suffix}`,
    groupId: `orch_fs_${scenario}_${suffix}`,
    sinkKeyspace: `orch_fs_${scenario}_sink_${suffix}`,
    historyKeyspace: `orch_fs_${scenario}_hist_${suffix}`,
  };
}

/** The pieces of a running stack; `orchestrator` is replaced by `restartOrchestrator`. */
export interface FullStack {
  names: StackNames;
  mock: MockApi;
  ingest: AppProcess;
  processor: AppProcess;
  orchestrator: AppProcess;
  /** The orchestrator's environment, so a restart uses the same settings. */
  orchestratorEnv: Record<string, string>;
}

function requireBuilt(entry: string): void {
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: build the apps first (npx nx run-many -t build --projects=tag:type:app)`);
  }
}

/**
 * Starts the mock API, ingest, the stream-processor and the orchestrator, all
 * pointed at `names`. The orchestrator's schedule never fires during a test;
 * `orchestratorEnv` and `ingestEnv` add to or override the defaults.
 */
export async function startFullStack(
  names: StackNames,
  options: { orchestratorEnv?: Record<string, string>; ingestEnv?: Record<string, string> } = {},
): Promise<FullStack> {
  requireBuilt(INGEST_ENTRY);
  requireBuilt(PROCESSOR_ENTRY);
  const mock = await startMockApi();
  const started: AppProcess[] = [];
  try {
    const [ingest, processor] = await Promise.all([
      startAppProcess(INGEST_ENTRY, {
        env: {
          LOG_LEVEL: 'warn',
          KAFKA_BROKERS,
          KAFKA_TOPIC: names.topic,
          KAFKA_TOPIC_PARTITIONS: '4',
          RANDOMUSER_BASE_URL: mock.url,
          ...options.ingestEnv,
        },
        timeoutMs: 60_000,
      }).then((app) => (started.push(app), app)),
      startAppProcess(PROCESSOR_ENTRY, {
        env: {
          LOG_LEVEL: 'warn',
          KAFKA_BROKERS,
          KAFKA_TOPIC: names.topic,
          KAFKA_GROUP_ID: names.groupId,
          CASSANDRA_CONTACT_POINTS,
          CASSANDRA_LOCAL_DC,
          CASSANDRA_KEYSPACE: names.sinkKeyspace,
          PROCESSOR_SESSION_TIMEOUT_MS: '8000',
        },
        timeoutMs: 60_000,
      }).then((app) => (started.push(app), app)),
    ]);
    const orchestratorEnv = {
      ORCHESTRATOR_KEYSPACE: names.historyKeyspace,
      ORCHESTRATOR_INGEST_URL: ingest.url,
      ORCHESTRATOR_PROCESSOR_URL: processor.url,
      KAFKA_TOPIC: names.topic,
      KAFKA_GROUP_ID: names.groupId,
      CASSANDRA_KEYSPACE: names.sinkKeyspace,
      CASSANDRA_USERS_TABLE: 'users',
      ...options.orchestratorEnv,
    };
    const orchestrator = await startOrchestrator(orchestratorEnv);
    return { names, mock, ingest, processor, orchestrator, orchestratorEnv };
  } catch (error) {
    await Promise.all(started.map((app) => app.stop('SIGKILL')));
    await mock.close();
    throw error;
  }
}

/** Starts the orchestrator again with the same settings (same history keyspace). */
export async function restartOrchestrator(stack: FullStack): Promise<AppProcess> {
  stack.orchestrator = await startOrchestrator(stack.orchestratorEnv);
  return stack.orchestrator;
}

/** Stops every process (SIGTERM, each must exit 0), drops the keyspaces and topics. */
export async function stopFullStack(
  stack: FullStack | undefined,
  cassandra: Client,
): Promise<Array<{ app: string; code: number | null; signal: string | null }>> {
  if (!stack) return [];
  const apps: Array<[string, AppProcess]> = [
    ['orchestrator', stack.orchestrator],
    ['ingest', stack.ingest],
    ['stream-processor', stack.processor],
  ];
  const exits = await Promise.all(apps.map(async ([app, process]) => ({ app, ...(await process.stop('SIGTERM')) })));
  await stack.mock.close();
  for (const keyspace of [stack.names.sinkKeyspace, stack.names.historyKeyspace]) {
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  }
  const admin = kafkaClient().admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [stack.names.topic, `${stack.names.topic}.dlq`], timeout: 10_000 }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  return exits;
}

export function kafkaClient(): Kafka {
  return new Kafka({ clientId: 'orchestrator-full-stack-test', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
}

/** The ids the mock serves for `seed`, pages `first..last` of `pageSize` users. */
export function mockIds(seed: string, first: number, last: number, pageSize: number): string[] {
  const ids: string[] = [];
  for (let page = first; page <= last; page++) for (let index = 0; index < pageSize; index++) ids.push(userUuid(seed, page, index));
  return ids;
}

/** Every id in `<keyspace>.users`, read page by page (the driver's streams misbehave under Jest). */
export async function readIds(cassandra: Client, keyspace: string): Promise<string[]> {
  const ids: string[] = [];
  let pageState: string | undefined;
  do {
    const page = await cassandra.execute(`SELECT id FROM ${keyspace}.users`, [], { prepare: true, fetchSize: 5000, pageState });
    for (const row of page.rows) ids.push(String(row.get('id')));
    pageState = page.pageState ?? undefined;
  } while (pageState);
  return ids;
}

/** Polls `GET /api/runs/:id` until the run is in one of `states`; returns it. */
export function waitForRun(app: () => AppProcess, id: string, states: string[], timeoutMs: number): Promise<RunRecord> {
  let last = 'unknown';
  return waitFor(
    async () => {
      const { body } = await api<RunRecord>(app(), 'GET', `/api/runs/${id}`);
      last = body.state;
      return states.includes(body.state) ? body : undefined;
    },
    { timeoutMs, intervalMs: 100, description: `orchestrator run ${id} to reach ${states.join(' or ')}` },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last state: ${last})`, { cause: error });
  });
}
