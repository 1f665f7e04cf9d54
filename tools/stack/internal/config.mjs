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

export function loadConfig(env = process.env) {
  const stackDir = path.resolve(env.USERSTREAM_STACK_DIR || path.join(REPO_ROOT, '.stack'));
  return {
    stackDir,
    kafkaPort: readPort(env, 'KAFKA_PORT', 9092),
    kafkaControllerPort: readPort(env, 'KAFKA_CONTROLLER_PORT', 9093),
    cassandraPort: readPort(env, 'CASSANDRA_PORT', 9042),
    cassandraStoragePort: readPort(env, 'CASSANDRA_STORAGE_PORT', 7000),
    startTimeoutMs: readPositiveInt(env, 'STACK_START_TIMEOUT_MS', 180_000),
    stopTimeoutMs: readPositiveInt(env, 'STACK_STOP_TIMEOUT_MS', 30_000),
    javaHome: env.JAVA_HOME || '',
  };
}

/** The variables that tell tests and apps where the stack listens. */
export function clientEnv(config) {
  return {
    KAFKA_BROKERS: `${HOST}:${config.kafkaPort}`,
    CASSANDRA_CONTACT_POINTS: `${HOST}:${config.cassandraPort}`,
    CASSANDRA_LOCAL_DC: LOCAL_DATA_CENTER,
    USERSTREAM_STACK_DIR: config.stackDir,
  };
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
