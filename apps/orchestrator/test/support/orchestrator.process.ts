import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { freePort, startAppProcess, type AppProcess } from '@userstream/tools/testing';

/** The built app, as the tests start it. */
export const ENTRY = join(__dirname, '..', '..', 'dist', 'main.js');

/** Servers the integration tests use, from the environment with the shared defaults. */
export const CASSANDRA_CONTACT_POINTS = process.env['CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1:9042';
export const CASSANDRA_LOCAL_DC = process.env['CASSANDRA_LOCAL_DC'] ?? 'datacenter1';
export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

export const USER = 'admin';
export const PASSWORD = 'integration-test-password';
export const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** A name no other test uses, for keyspaces and topics. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A Cassandra client for checking what the orchestrator wrote. */
export function cassandraClient(): Client {
  return new Client({ contactPoints: CASSANDRA_CONTACT_POINTS.split(','), localDataCenter: CASSANDRA_LOCAL_DC });
}

/**
 * Starts the built orchestrator with settings fit for tests: its own
 * keyspace, a fake ingest, a schedule that never fires during a test, fast
 * polling and retries, a known password, and no stream-processor (a free
 * port nothing listens on).
 */
export async function startOrchestrator(env: Record<string, string>, options: { waitLive?: boolean } = {}): Promise<AppProcess> {
  const noProcessor = `http://127.0.0.1:${await freePort()}`;
  return startAppProcess(ENTRY, {
    env: {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      ORCHESTRATOR_PASSWORD: PASSWORD,
      ORCHESTRATOR_JOB_SCHEDULE: '0 0 1 1 *',
      ORCHESTRATOR_POLL_INTERVAL_MS: '50',
      ORCHESTRATOR_JOB_RETRY_DELAY_MS: '200',
      ORCHESTRATOR_JOB_MAX_RETRY_DELAY_MS: '1000',
      ORCHESTRATOR_PROCESSOR_URL: noProcessor,
      CASSANDRA_CONTACT_POINTS,
      CASSANDRA_LOCAL_DC,
      KAFKA_BROKERS,
      ...env,
    },
    timeoutMs: 60_000,
    ...options,
  });
}

/** Calls the orchestrator's API with HTTP Basic credentials and parses the JSON answer. */
export async function api<T = unknown>(app: AppProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: BASIC, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}
