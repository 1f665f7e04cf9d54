import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConfigError, field, loadConfig, serviceAccessConfigSpec, tlsConfigFields, tlsOptionsFromConfig, type ConfigValues } from '@userstream/core';
import {
  kafkaSecurityConfigSpec,
  kafkaSecurityOptions,
  schemaRegistryAuth,
  schemaRegistryCredentialsSpec,
  type KafkaConnectionOptions,
} from '@userstream/kafka';

/** Every setting of the stream-processor app, read from the environment once at start. */
export const streamProcessorConfigSpec = {
  port: field<number>({
    env: 'PORT',
    kind: 'int',
    min: 0,
    max: 65535,
    default: 3002,
    description: 'HTTP port of the stream-processor app (health and metrics)',
  }),
  host: field<string>({ env: 'HOST', kind: 'string', default: '127.0.0.1', description: 'HTTP listen address' }),
  logLevel: field<string>({
    env: 'LOG_LEVEL',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'pino log level',
  }),
  logPretty: field<boolean>({ env: 'LOG_PRETTY', kind: 'boolean', default: false, description: 'human-readable logs (development, needs pino-pretty)' }),
  shutdownTimeoutMs: field<number>({
    env: 'SHUTDOWN_TIMEOUT_MS',
    kind: 'int',
    min: 1000,
    default: 25_000,
    description: 'bound on a graceful stop after SIGTERM',
  }),
  ...serviceAccessConfigSpec,

  kafkaBrokers: field<string[]>({
    env: 'KAFKA_BROKERS',
    kind: 'list',
    default: ['127.0.0.1:9092'],
    description: 'Kafka bootstrap servers, comma-separated host:port',
  }),
  kafkaClientId: field<string>({
    env: 'KAFKA_CLIENT_ID',
    kind: 'string',
    default: 'userstream-stream-processor',
    description: 'Kafka client id of the processor',
  }),
  ...kafkaSecurityConfigSpec,
  topic: field<string>({
    env: 'KAFKA_TOPIC',
    kind: 'string',
    default: 'users_created',
    description: 'topic the users are read from (its dead-letter topic is `<topic>.dlq`)',
  }),
  groupId: field<string>({
    env: 'KAFKA_GROUP_ID',
    kind: 'string',
    default: 'userstream-stream-processor',
    description: 'consumer group of the processors; instances with the same group share the partitions',
  }),
  fromBeginning: field<boolean>({
    env: 'PROCESSOR_FROM_BEGINNING',
    kind: 'boolean',
    default: true,
    description: 'a new consumer group starts at the earliest offset (false: only new records)',
  }),
  partitionsConcurrently: field<number>({
    env: 'PROCESSOR_PARTITIONS_CONCURRENTLY',
    kind: 'int',
    min: 1,
    max: 256,
    default: 4,
    description: 'partitions handled in parallel by one instance',
  }),
  maxRecordsPerBatch: field<number>({
    env: 'PROCESSOR_MAX_RECORDS_PER_BATCH',
    kind: 'int',
    min: 1,
    max: 100_000,
    default: 2000,
    description: 'most records written to Cassandra per handler call',
  }),
  pipelineDepth: field<number>({
    env: 'PROCESSOR_PIPELINE_DEPTH',
    kind: 'int',
    min: 0,
    max: 64,
    default: 0,
    description:
      'fetched batches of one partition written at once while the next fetch runs, holding together at most PROCESSOR_MAX_RECORDS_PER_BATCH records unless one batch alone holds more (0: fetch the partition again only once its batch is written). Offsets are still committed only past records written or dead-lettered in order',
  }),
  fetchMaxBytesPerPartition: field<number>({
    env: 'PROCESSOR_FETCH_MAX_BYTES_PER_PARTITION',
    kind: 'int',
    min: 1024,
    max: 104_857_600,
    default: 1_048_576,
    description:
      "most bytes one fetch takes from a partition; with PROCESSOR_PARTITIONS_CONCURRENTLY it bounds the records the processor holds in memory at once. Keep it above the producers' record-batch size (ingest's reach ~270 KB): Kafka returns an oversized batch only for the first partition of a fetch, so the partitions would be written one at a time",
  }),
  maxWaitMs: field<number>({
    env: 'PROCESSOR_MAX_WAIT_MS',
    kind: 'int',
    min: 0,
    max: 10_000,
    default: 100,
    description: 'longest time a fetch waits for new records (a latency floor on a quiet topic)',
  }),
  sessionTimeoutMs: field<number>({
    env: 'PROCESSOR_SESSION_TIMEOUT_MS',
    kind: 'int',
    min: 6000,
    max: 300_000,
    default: 8_000,
    description:
      'consumer group session timeout: a killed instance is noticed after this long and its partitions move to the others (within about 11 s with the default); heartbeats go out every quarter of it, at most every 3 s',
  }),
  schemaRegistryUrl: field<string>({
    env: 'SCHEMA_REGISTRY_URL',
    kind: 'url',
    optional: true,
    description: 'Confluent Schema Registry, used to resolve the writer schema of Confluent-framed records',
  }),
  ...schemaRegistryCredentialsSpec,

  cassandraContactPoints: field<string[]>({
    env: 'CASSANDRA_CONTACT_POINTS',
    kind: 'list',
    default: ['127.0.0.1:9042'],
    description: 'Cassandra contact points, comma-separated host:port',
  }),
  cassandraLocalDc: field<string>({
    env: 'CASSANDRA_LOCAL_DC',
    kind: 'string',
    default: 'datacenter1',
    description: 'local data center name of the Cassandra nodes',
  }),
  cassandraUsername: field<string>({ env: 'CASSANDRA_USERNAME', kind: 'string', optional: true, description: 'Cassandra user name (plain-text auth)' }),
  cassandraPassword: field<string>({ env: 'CASSANDRA_PASSWORD', kind: 'string', optional: true, secret: true, description: 'Cassandra password' }),
  ...tlsConfigFields('cassandra', 'CASSANDRA', 'the Cassandra nodes'),
  keyspace: field<string>({
    env: 'CASSANDRA_KEYSPACE',
    kind: 'string',
    default: 'userstream',
    description: 'keyspace of the tables (created when missing); `spark_streams` for the reference layout',
  }),
  replicationFactor: field<number>({
    env: 'CASSANDRA_REPLICATION_FACTOR',
    kind: 'int',
    min: 1,
    max: 10,
    default: 1,
    description: 'SimpleStrategy replication factor used when the keyspace is created',
  }),
  tables: field<string[]>({
    env: 'CASSANDRA_TABLES',
    kind: 'list',
    default: ['users'],
    description: '`users` (all v2 fields, typed), `reference` (the reference `users_created` table), or both',
  }),
  usersTable: field<string>({ env: 'CASSANDRA_USERS_TABLE', kind: 'string', default: 'users', description: 'name of the v2 table' }),
  referenceTable: field<string>({ env: 'CASSANDRA_REFERENCE_TABLE', kind: 'string', default: 'users_created', description: 'name of the reference table' }),
  writeConcurrency: field<number>({
    env: 'CASSANDRA_WRITE_CONCURRENCY',
    kind: 'int',
    min: 1,
    max: 4096,
    default: 256,
    description:
      'records in flight per processor instance, shared evenly by the partitions it handles at once; under load they go in batches of up to CASSANDRA_BATCH_ROWS, with few records waiting in smaller batches down to single rows (lower latency)',
  }),
  batchRows: field<number>({
    env: 'CASSANDRA_BATCH_ROWS',
    kind: 'int',
    min: 1,
    max: 1000,
    default: 32,
    description: 'most rows per UNLOGGED batch, grouped by replica set; 1 writes each record with its own statement (single-row mode)',
  }),
  batchBytes: field<number>({
    env: 'CASSANDRA_BATCH_BYTES',
    kind: 'int',
    min: 1024,
    max: 268_435_456,
    default: 40_960,
    description: "most bytes per batch as Cassandra counts them; keep it below the server's batch_size_fail_threshold (50 KiB by default)",
  }),
  consistency: field<string>({
    env: 'CASSANDRA_CONSISTENCY',
    kind: 'enum',
    values: ['ONE', 'LOCAL_ONE', 'QUORUM', 'LOCAL_QUORUM', 'ALL'],
    default: 'LOCAL_QUORUM',
    description: 'write consistency level',
  }),
  ttlSeconds: field<number>({ env: 'CASSANDRA_TTL_SECONDS', kind: 'int', min: 0, default: 0, description: 'row TTL in seconds; 0 keeps rows forever' }),
  timestampFromIngestedAt: field<boolean>({
    env: 'CASSANDRA_TIMESTAMP_FROM_EVENT',
    kind: 'boolean',
    default: false,
    description: 'write with USING TIMESTAMP = the time ingest fetched the record, so an old replay never overwrites newer data',
  }),
};

/** The settings, with the client security options resolved (files read). */
export type StreamProcessorConfig = ConfigValues<typeof streamProcessorConfigSpec> & {
  /** From KAFKA_SSL*, KAFKA_SASL_*. */
  kafkaSecurity: Pick<KafkaConnectionOptions, 'ssl' | 'sasl' | 'allowPlaintextSasl'>;
  /** From CASSANDRA_SSL*; undefined without TLS. */
  cassandraTls?: TlsConnectionOptions;
  /** From SCHEMA_REGISTRY_USERNAME / _PASSWORD. */
  schemaRegistryAuth?: { username: string; password: string };
};

/** Reads and validates the configuration; throws a ConfigError naming each bad variable. */
export function loadStreamProcessorConfig(env: Record<string, string | undefined>): StreamProcessorConfig {
  const config = loadConfig(streamProcessorConfigSpec, env);
  const bad = config.tables.filter((t) => t !== 'users' && t !== 'reference');
  if (bad.length > 0) {
    throw new ConfigError(`invalid configuration: CASSANDRA_TABLES: unknown table kind ${bad.join(', ')} (use users, reference)`, {
      details: { variables: ['CASSANDRA_TABLES'] },
    });
  }
  if (config.cassandraPassword !== undefined && config.cassandraUsername === undefined) {
    throw new ConfigError('CASSANDRA_USERNAME: required with CASSANDRA_PASSWORD', { details: { variable: 'CASSANDRA_USERNAME' } });
  }
  const cassandraTls = tlsOptionsFromConfig(config, 'cassandra', 'CASSANDRA');
  const registryAuth = schemaRegistryAuth(config);
  return {
    ...config,
    kafkaSecurity: kafkaSecurityOptions(config),
    ...(cassandraTls ? { cassandraTls } : {}),
    ...(registryAuth ? { schemaRegistryAuth: registryAuth } : {}),
  };
}
