// Where things are, which servers to use, and what machine the numbers come from.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackStatus, stackUp } from '@userstream/tools/stack';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const APP_ENTRIES = {
  'stream-processor': join(REPO_ROOT, 'apps/stream-processor/dist/main.js'),
  ingest: join(REPO_ROOT, 'apps/ingest/dist/main.js'),
  orchestrator: join(REPO_ROOT, 'apps/orchestrator/dist/main.js'),
};

/** Servers, from the same variables the apps and tests read. */
export function servers() {
  return {
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
  };
}

/** The environment every app under test gets: servers, quiet logs. */
/** The bearer token the apps under test are given, and the benchmark sends to their endpoints. */
export const SERVICE_TOKEN = process.env.SERVICE_TOKEN ?? randomBytes(24).toString('hex');

/** The scrape token the apps under test are given: it opens `/metrics` and `/health/ready` of all three (the orchestrator's control API wants a login instead). */
export const METRICS_TOKEN = process.env.METRICS_TOKEN ?? randomBytes(24).toString('hex');

/** Headers for the apps' endpoints (everything but liveness wants the token). */
export function authHeaders() {
  return { authorization: `Bearer ${SERVICE_TOKEN}` };
}

/** Headers for `/metrics` and `/health/ready` of any of the three apps. */
export function opsHeaders() {
  return { authorization: `Bearer ${METRICS_TOKEN}` };
}

export function appBaseEnv() {
  const s = servers();
  return {
    KAFKA_BROKERS: s.brokers.join(','),
    CASSANDRA_CONTACT_POINTS: s.contactPoints.join(','),
    CASSANDRA_LOCAL_DC: s.localDataCenter,
    LOG_LEVEL: process.env.BENCH_APP_LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'false',
    NODE_ENV: 'production',
    // Apps in production mode want the bearer token between apps; any value will do for a benchmark.
    SERVICE_TOKEN,
    METRICS_TOKEN,
  };
}

/**
 * Makes sure Kafka and Cassandra answer. With the default servers, starts the
 * dev stack when it is not running (like `npm test`; it is left running).
 * Returns the server pids (for CPU sampling) when the stack is local.
 */
export async function ensureStack({ log = console.log } = {}) {
  const custom = process.env.KAFKA_BROKERS !== undefined || process.env.CASSANDRA_CONTACT_POINTS !== undefined;
  let status = await stackStatus();
  if (!status.ready && !custom) {
    log('dev stack not ready: starting it (npm run stack:up)');
    await stackUp({ log });
    status = await stackStatus();
  }
  return {
    local: status.ready,
    kafkaPid: status.servers?.kafka?.pid,
    cassandraPid: status.servers?.cassandra?.pid,
    kafkaVersion: status.servers?.kafka?.version,
    cassandraVersion: status.servers?.cassandra?.version,
  };
}

/** Fails clearly when an app has not been built. */
export function requireBuilt(app) {
  const entry = APP_ENTRIES[app];
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: build first (npx nx run-many -t build)`);
  }
  return entry;
}

/** The libraries the scripts import must be built too. */
export function requireBuiltLibs() {
  for (const lib of ['core', 'user-schema', 'kafka', 'cassandra-sink']) {
    const main = join(REPO_ROOT, 'libs', lib, 'dist', 'index.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx nx run-many -t build)`);
  }
}

function gitRevision() {
  if (process.env.BENCH_REVISION) return process.env.BENCH_REVISION;
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !==
      '';
    return `${rev}${dirty ? '+dirty' : ''}`;
  } catch {
    return undefined;
  }
}

/** The machine, for every result file. */
export function machineInfo(stack = {}) {
  const cpus = os.cpus();
  let memTotalMb;
  try {
    memTotalMb = Math.round(Number(/** @type {RegExpExecArray} */ (/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8')))[1]) / 1024);
  } catch {
    memTotalMb = Math.round(os.totalmem() / 2 ** 20);
  }
  return {
    hostname: os.hostname(),
    cpuModel: cpus[0]?.model,
    cores: cpus.length,
    memTotalMb,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    kafka: stack.kafkaVersion,
    cassandra: stack.cassandraVersion,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    revision: gitRevision(),
  };
}

/** A short unique suffix for topic, group and keyspace names. */
export function runSuffix() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
