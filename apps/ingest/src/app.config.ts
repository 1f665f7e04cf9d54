import { INGEST_ENCODINGS, type IngestEncoding } from '@userstream/ingest-contract';
import { ConfigError, field, loadConfig, serviceAccessConfigSpec, type ConfigValues } from '@userstream/core';
import {
  kafkaSecurityConfigSpec,
  kafkaSecurityOptions,
  schemaRegistryAuth,
  schemaRegistryCredentialsSpec,
  type KafkaConnectionOptions,
} from '@userstream/kafka';

/** Every setting of the ingest app (and of its one-shot command line), read from the environment once at start. */
export const ingestConfigSpec = {
  port: field<number>({ env: 'PORT', kind: 'int', min: 0, max: 65535, default: 3001, description: 'HTTP port of the ingest app' }),
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
    description: 'bound on a graceful stop after SIGTERM (cancel runs, flush the producer, disconnect)',
  }),
  ...serviceAccessConfigSpec,

  randomUserBaseUrl: field<string>({
    env: 'RANDOMUSER_BASE_URL',
    kind: 'url',
    default: 'https://randomuser.me/api/',
    description: 'randomuser.me API endpoint; `http://127.0.0.1:3100/api/` for the local mock (`npm run mock-api`)',
  }),
  randomUserTimeoutMs: field<number>({
    env: 'RANDOMUSER_TIMEOUT_MS',
    kind: 'int',
    min: 100,
    max: 600_000,
    default: 30_000,
    description: 'timeout of one API request (connect to last byte), in ms; a page of 5000 users is about 5 MB',
  }),
  randomUserMaxAttempts: field<number>({
    env: 'RANDOMUSER_MAX_ATTEMPTS',
    kind: 'int',
    min: 1,
    max: 100,
    default: 6,
    description: 'requests per page before the run gives up (network errors, timeouts, 429, 5xx and broken bodies are retried)',
  }),
  randomUserRetryInitialDelayMs: field<number>({
    env: 'RANDOMUSER_RETRY_INITIAL_DELAY_MS',
    kind: 'int',
    min: 0,
    max: 60_000,
    default: 250,
    description: 'cap of the first retry delay (exponential backoff with full jitter; `Retry-After` wins when longer), in ms',
  }),
  randomUserRetryMaxDelayMs: field<number>({
    env: 'RANDOMUSER_RETRY_MAX_DELAY_MS',
    kind: 'int',
    min: 0,
    max: 600_000,
    default: 30_000,
    description: 'cap of any retry delay, `Retry-After` included, in ms',
  }),
  randomUserRetryDeadlineMs: field<number>({
    env: 'RANDOMUSER_RETRY_DEADLINE_MS',
    kind: 'int',
    min: 1000,
    max: 3_600_000,
    default: 120_000,
    description: 'overall budget of one page (requests and waits), in ms; past it the run fails',
  }),
  randomUserRateLimit: field<number>({
    env: 'RANDOMUSER_RATE_LIMIT',
    kind: 'number',
    min: 0.001,
    optional: true,
    description: 'most API requests per second over all runs, retries included; unset for no limit',
  }),

  kafkaBrokers: field<string[]>({
    env: 'KAFKA_BROKERS',
    kind: 'list',
    default: ['127.0.0.1:9092'],
    description: 'Kafka bootstrap servers, comma-separated host:port',
  }),
  kafkaClientId: field<string>({ env: 'KAFKA_CLIENT_ID', kind: 'string', default: 'userstream-ingest', description: 'Kafka client id of the producer' }),
  ...kafkaSecurityConfigSpec,
  topic: field<string>({
    env: 'KAFKA_TOPIC',
    kind: 'string',
    default: 'users_created',
    description: 'topic the users are produced to (the reference topic name); created at the start of a run when missing',
  }),
  topicPartitions: field<number>({
    env: 'KAFKA_TOPIC_PARTITIONS',
    kind: 'int',
    min: 1,
    max: 10_000,
    default: 4,
    description: 'partitions of the topic when ingest creates it (an existing topic is left as it is; fewer partitions are logged as a warning)',
  }),
  topicReplicationFactor: field<number>({
    env: 'KAFKA_TOPIC_REPLICATION_FACTOR',
    kind: 'int',
    min: -1,
    max: 100,
    default: -1,
    description: "replication factor of the topic when ingest creates it; -1 takes the broker's default.replication.factor",
  }),
  kafkaCompression: field<string>({
    env: 'KAFKA_COMPRESSION',
    kind: 'enum',
    values: ['none', 'gzip', 'snappy'],
    default: 'none',
    description: 'compression of produce requests',
  }),
  schemaRegistryUrl: field<string>({
    env: 'SCHEMA_REGISTRY_URL',
    kind: 'url',
    optional: true,
    description: 'Confluent Schema Registry: when set, the v2 schema is registered under `<topic>-value` and the default encoding becomes `confluent`',
  }),
  ...schemaRegistryCredentialsSpec,

  encoding: field<string>({
    env: 'INGEST_ENCODING',
    kind: 'enum',
    values: [...INGEST_ENCODINGS],
    optional: true,
    description:
      'default wire encoding of a run: `avro` (single-object), `confluent` (needs SCHEMA_REGISTRY_URL) or `json` (the reference JSON); unset: `confluent` with a registry, else `avro`',
  }),
  pageSize: field<number>({
    env: 'INGEST_PAGE_SIZE',
    kind: 'int',
    min: 1,
    max: 5000,
    default: 1000,
    description:
      'default users per API request (a run may ask for another `pageSize`, up to 5000); replaying a run needs the same page size. Ingest holds up to three pages (the one it sends and two fetched ahead): 1000 keeps its memory low',
  }),
  fetchConcurrency: field<number>({
    env: 'INGEST_FETCH_CONCURRENCY',
    kind: 'int',
    min: 1,
    max: 32,
    default: 2,
    description:
      'API requests a run keeps in flight: pages fetched ahead while it produces the current one (with a `rate`, only about 5 s of records are fetched ahead)',
  }),
  produceBatchSize: field<number>({
    env: 'INGEST_PRODUCE_BATCH_SIZE',
    kind: 'int',
    min: 1,
    max: 100_000,
    default: 1000,
    description: 'records per Kafka produce request',
  }),
  produceInFlight: field<number>({
    env: 'INGEST_PRODUCE_IN_FLIGHT',
    kind: 'int',
    min: 1,
    max: 64,
    default: 4,
    description: 'produce requests in flight at once (all runs together)',
  }),
  kafkaOutageTimeoutMs: field<number>({
    env: 'KAFKA_OUTAGE_TIMEOUT_MS',
    kind: 'int',
    min: 0,
    max: 86_400_000,
    default: 60_000,
    description:
      'how long a run waits out a Kafka cluster it cannot reach (its status says it is waiting for Kafka) before it fails, in ms; what was acknowledged stays exact and nothing is written twice',
  }),
  maxActiveRuns: field<number>({
    env: 'INGEST_MAX_ACTIVE_RUNS',
    kind: 'int',
    min: 1,
    max: 100,
    default: 4,
    description: 'runs that may be active at once; `POST /runs` answers 429 beyond it',
  }),
  runHistory: field<number>({
    env: 'INGEST_RUN_HISTORY',
    kind: 'int',
    min: 1,
    max: 10_000,
    default: 100,
    description: 'finished runs kept in memory for `GET /runs`',
  }),
};

export type IngestConfig = ConfigValues<typeof ingestConfigSpec>;

/** Wire encodings a run can produce (the contract's). */
export type { IngestEncoding };

/** The configuration with the defaults that depend on other settings resolved. */
export type ResolvedIngestConfig = Omit<IngestConfig, 'encoding'> & {
  encoding: IngestEncoding;
  /** Kafka client options from KAFKA_SSL*, KAFKA_SASL_* (files read). */
  kafkaSecurity: Pick<KafkaConnectionOptions, 'ssl' | 'sasl' | 'allowPlaintextSasl'>;
  /** SCHEMA_REGISTRY_USERNAME / _PASSWORD, when set. */
  schemaRegistryAuth?: { username: string; password: string };
};

/** Reads and validates the configuration; throws a ConfigError naming each bad variable. */
export function loadIngestConfig(env: Record<string, string | undefined>): ResolvedIngestConfig {
  const config = loadConfig(ingestConfigSpec, env);
  const problems: Array<[variable: string, why: string]> = [];
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(config.topic)) {
    problems.push([
      'KAFKA_TOPIC',
      `KAFKA_TOPIC: ${JSON.stringify(config.topic)} is not a legal Kafka topic name (letters, digits, ".", "_", "-"; at most 249)`,
    ]);
  }
  if (config.encoding === 'confluent' && config.schemaRegistryUrl === undefined) {
    problems.push(['INGEST_ENCODING', 'INGEST_ENCODING: confluent needs SCHEMA_REGISTRY_URL']);
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${problems.map(([, why]) => why).join('; ')}`, { details: { variables: problems.map(([v]) => v) } });
  }
  const encoding = (config.encoding ?? (config.schemaRegistryUrl === undefined ? 'avro' : 'confluent')) as IngestEncoding;
  const auth = schemaRegistryAuth(config);
  return {
    ...config,
    encoding,
    kafkaSecurity: kafkaSecurityOptions(config),
    ...(auth ? { schemaRegistryAuth: auth } : {}),
  };
}
