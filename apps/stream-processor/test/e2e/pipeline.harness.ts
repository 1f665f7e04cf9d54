import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from '@userstream/core';
import { SERVICE_AUTH, startAppProcess, type AppProcess } from '@userstream/tools/testing';
import { userUuid } from '@userstream/tools/mock-api';

// The end-to-end harness: the real Kafka and Cassandra of the dev stack, the
// built ingest and stream-processor apps as child processes, and the mock API.

const repoRoot = join(__dirname, '..', '..', '..', '..');
export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
export const localDc = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';

/** Unique names so scenarios never share a topic, group or keyspace. */
export function uniqueNames(scenario: string) {
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { topic: `e2e_${scenario}_${suffix}`, groupId: `e2e_${scenario}_${suffix}`, keyspace: `e2e_${scenario}_${suffix}`.toLowerCase() };
}

export type Names = ReturnType<typeof uniqueNames>;

export function startIngest(names: Names, apiUrl: string, env: Record<string, string> = {}): Promise<AppProcess> {
  return startAppProcess(join(repoRoot, 'apps', 'ingest', 'dist', 'main.js'), {
    env: {
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: names.topic,
      KAFKA_TOPIC_PARTITIONS: '4',
      RANDOMUSER_BASE_URL: apiUrl,
      ...env,
    },
  });
}

export function startProcessor(names: Names, env: Record<string, string> = {}): Promise<AppProcess> {
  return startAppProcess(join(repoRoot, 'apps', 'stream-processor', 'dist', 'main.js'), {
    env: {
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: names.topic,
      KAFKA_GROUP_ID: names.groupId,
      CASSANDRA_CONTACT_POINTS: contactPoints.join(','),
      CASSANDRA_LOCAL_DC: localDc,
      CASSANDRA_KEYSPACE: names.keyspace,
      // A crashed instance's partitions move after this; kept short so the scenarios stay quick.
      PROCESSOR_SESSION_TIMEOUT_MS: '8000',
      ...env,
    },
  });
}

/** One label-less counter or gauge of an app's /metrics (0 when absent). */
export async function metricValue(app: AppProcess, name: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`, { headers: SERVICE_AUTH })).text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : 0;
}

/** The ingest run status as GET /runs/:id returns it. */
export interface RunStatus {
  id: string;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  counts: { pagesFetched: number; fetched: number; valid: number; invalid: number; produced: number; acknowledged: number };
  cursor: { seed: string; startPage: number; nextPage: number };
  error?: string;
}

export async function startRun(ingest: AppProcess, params: Record<string, unknown>): Promise<RunStatus> {
  const res = await fetch(`${ingest.url}/runs`, {
    method: 'POST',
    headers: { ...SERVICE_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const body = (await res.json()) as RunStatus & { message?: string };
  if (res.status !== 202) throw new Error(`POST /runs answered ${res.status}: ${body.message}`);
  return body;
}

export async function getRun(ingest: AppProcess, id: string): Promise<RunStatus> {
  return (await (await fetch(`${ingest.url}/runs/${id}`, { headers: SERVICE_AUTH })).json()) as RunStatus;
}

export function waitRunFinished(ingest: AppProcess, id: string, timeoutMs = 120_000): Promise<RunStatus> {
  return waitFor(
    async () => {
      const run = await getRun(ingest, id);
      return run.state === 'running' ? undefined : run;
    },
    { timeoutMs, intervalMs: 250, description: `ingest run ${id} to finish` },
  );
}

/** The ids the mock serves for `seed` on full pages `first..last` of `pageSize` users. */
export function mockIds(seed: string, first: number, last: number, pageSize: number): string[] {
  const ids: string[] = [];
  for (let page = first; page <= last; page++) for (let i = 0; i < pageSize; i++) ids.push(userUuid(seed, page, i));
  return ids;
}

export async function connectCassandra(): Promise<Client> {
  const client = new Client({ contactPoints, localDataCenter: localDc });
  await client.connect();
  return client;
}

/** Every id in the keyspace's `users` table (a full scan, paged). */
export async function readIds(cassandra: Client, keyspace: string): Promise<string[]> {
  const ids: string[] = [];
  let pageState: string | undefined;
  try {
    do {
      const page = await cassandra.execute(`SELECT id FROM ${keyspace}.users`, [], { prepare: true, fetchSize: 5000, pageState });
      for (const row of page.rows) ids.push(String(row.get('id')));
      pageState = page.pageState ?? undefined;
    } while (pageState);
  } catch (error) {
    // The keyspace appears only once the processor has migrated it.
    if (/keyspace|unconfigured table/i.test(String(error))) return [];
    throw error;
  }
  return ids;
}

export function waitForRowCount(cassandra: Client, keyspace: string, expected: number, timeoutMs = 180_000): Promise<string[]> {
  let last = 0;
  return waitFor(
    async () => {
      const ids = await readIds(cassandra, keyspace);
      last = ids.length;
      return ids.length >= expected ? ids : undefined;
    },
    { timeoutMs, intervalMs: 1000, description: `${expected} rows in ${keyspace}.users` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last count ${last}${error.cause ? `; last error: ${String(error.cause)}` : ''}`);
  });
}

export function kafka(): Kafka {
  return new Kafka({ brokers, clientId: 'e2e-check', logLevel: logLevel.NOTHING });
}

/** Stops or starts one server of the dev stack through its command line. */
export async function stack(action: 'up' | 'down', server: 'cassandra' | 'kafka'): Promise<void> {
  await promisify(execFile)(process.execPath, [join(repoRoot, 'tools', 'stack', 'stack.mjs'), action, server], { cwd: repoRoot, timeout: 240_000 });
}

export async function dropKeyspace(cassandra: Client, keyspace: string): Promise<void> {
  await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
}
