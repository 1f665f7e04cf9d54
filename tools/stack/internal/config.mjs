// Settings of the dev stack, read from the environment each time they are
// needed, so a test can change a variable before calling into the stack.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** tools/stack, where the poms live. */
export const TOOLS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(TOOLS_DIR, '..', '..');

/** Everything binds here and nowhere else. */
export const HOST = '127.0.0.1';

/** SimpleSnitch puts the node in this data center; clients must name it. */
export const LOCAL_DATA_CENTER = 'datacenter1';

export const DEFAULT_JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64';

export class ConfigError extends Error {}

/** The node counts a stack can have: one node, or a cluster of three (RF 3, quorum 2). */
export const NODE_COUNTS = [1, 3];

/**
 * How Cassandra syncs its commit log. `batch` (the default) and `group` are
 * durable; `batch` is faster here (see tools/stack/README.md). `periodic` is
 * an explicit opt-in for speed that can lose acknowledged writes when the
 * process is killed.
 */
export const COMMITLOG_MODES = {
  batch: 'durable: a write is acknowledged only once its commit-log segment is fsynced (a sync starts as soon as a write waits)',
  group: 'durable: a write is acknowledged only once its commit-log segment is fsynced (syncs every 2 ms)',
  periodic: 'NOT durable: writes are acknowledged before the fsync, so a kill -9 can lose up to 10 s of acknowledged writes',
};

/**
 * The settings, from the environment; `overrides` (e.g. `{ nodes: 3 }` from
 * `--nodes 3` or `stackUp({ nodes: 3 })`) win over it. `nodes` stays
 * undefined when nobody chose: the stack dir's recorded shape decides then.
 */
export function loadConfig(env = process.env, overrides = {}) {
  const stackDir = path.resolve(env.USERSTREAM_STACK_DIR || path.join(REPO_ROOT, '.stack'));
  const config = {
    stackDir,
    nodes: readNodes(overrides.nodes ?? env.STACK_NODES, overrides.nodes !== undefined ? '--nodes' : 'STACK_NODES'),
    // STACK_SECURE=1 (`--secure`): the secured variant (secure.mjs); unset: the stack dir's recorded one.
    secure: readSecure(env.STACK_SECURE),
    clusterHost: readLoopbackAddress(env, 'STACK_CLUSTER_HOST', '127.0.0.1'),
    kafkaPort: readPort(env, 'KAFKA_PORT', 9092),
    kafkaControllerPort: readPort(env, 'KAFKA_CONTROLLER_PORT', 9093),
    cassandraPort: readPort(env, 'CASSANDRA_PORT', 9042),
    cassandraStoragePort: readPort(env, 'CASSANDRA_STORAGE_PORT', 7000),
    cassandraJmxPort: readPort(env, 'CASSANDRA_JMX_PORT', 7199),
    cassandraCommitlog: readChoice(env, 'STACK_CASSANDRA_COMMITLOG', Object.keys(COMMITLOG_MODES), 'batch'),
    startTimeoutMs: readPositiveInt(env, 'STACK_START_TIMEOUT_MS', 180_000),
    stopTimeoutMs: readPositiveInt(env, 'STACK_STOP_TIMEOUT_MS', 30_000),
    javaHome: env.JAVA_HOME || '',
  };
  const lastOctet = Number(config.clusterHost.split('.')[3]);
  if (lastOctet + Math.max(...NODE_COUNTS) - 1 > 254) {
    throw new ConfigError(
      `STACK_CLUSTER_HOST must leave room for ${Math.max(...NODE_COUNTS)} consecutive addresses ` +
        `(its last number at most ${255 - Math.max(...NODE_COUNTS)}), not "${config.clusterHost}".`,
    );
  }
  return config;
}

/** The address of cluster node `index` (1-based): STACK_CLUSTER_HOST, then the next ones. */
export function clusterNodeHost(config, index) {
  const parts = config.clusterHost.split('.').map(Number);
  parts[3] += index - 1;
  return parts.join('.');
}

function readSecure(raw) {
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true'].includes(raw.trim())) return true;
  if (['0', 'false'].includes(raw.trim())) return false;
  throw new ConfigError(`STACK_SECURE must be 1 or 0, not "${raw}".`);
}

function readNodes(raw, name) {
  if (raw === undefined || raw === '') return undefined;
  const nodes = Number(raw);
  if (!NODE_COUNTS.includes(nodes)) {
    throw new ConfigError(`${name} must be ${NODE_COUNTS.join(' or ')} (one node, or a three-node cluster), not "${raw}".`);
  }
  return nodes;
}

/** Only loopback addresses: the stack never listens on a real network. */
function readLoopbackAddress(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(raw.trim());
  if (!match || match.slice(1).some((part) => Number(part) > 255) || Number(match[3]) === 0) {
    throw new ConfigError(`${name} must be a loopback address such as 127.0.0.1 (127.x.y.z), not "${raw}".`);
  }
  return raw.trim();
}

function readChoice(env, name, choices, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!choices.includes(raw.trim())) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, not "${raw}".`);
  return raw.trim();
}

function readPort(env, name, fallback) {
  const port = readPositiveInt(env, name, fallback);
  if (port > 65535) throw new ConfigError(`${name} must be a port number between 1 and 65535, not "${env[name]}".`);
  return port;
}

function readPositiveInt(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) {
    throw new ConfigError(`${name} must be a positive whole number, not "${raw}".`);
  }
  return Number(raw);
}
