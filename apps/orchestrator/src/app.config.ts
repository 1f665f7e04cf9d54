import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConfigError, field, loadConfig, serviceAccessConfigSpec, tlsConfigFields, tlsOptionsFromConfig, type ConfigValues } from '@userstream/core';
import { kafkaSecurityConfigSpec, kafkaSecurityOptions, type KafkaConnectionOptions } from '@userstream/kafka';
import { INGEST_ENCODINGS, RUN_LIMITS } from '@userstream/ingest-contract';
import { parseSchedule } from './jobs/job.schedule';

/** The longest delay one Node timer can wait (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Every setting of the orchestrator app, read from the environment once at start. */
export const orchestratorConfigSpec = {
  port: field<number>({ env: 'PORT', kind: 'int', min: 0, max: 65535, default: 3000, description: 'HTTP port of the orchestrator app (API and dashboard)' }),
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
    max: 600_000,
    default: 25_000,
    description: 'bound on a graceful stop after SIGTERM',
  }),
  ...serviceAccessConfigSpec,

  // Dashboard and API access
  user: field<string>({
    env: 'ORCHESTRATOR_USER',
    kind: 'string',
    default: 'admin',
    description: 'user name for the dashboard login and HTTP Basic on the API',
  }),
  password: field<string>({
    env: 'ORCHESTRATOR_PASSWORD',
    kind: 'string',
    secret: true,
    optional: true,
    description:
      'password for the dashboard and the API (at least 12 characters). Unset in development: a random one is generated and printed once at start; unset in production: the app refuses to start',
  }),
  sessionSecret: field<string>({
    env: 'ORCHESTRATOR_SESSION_SECRET',
    kind: 'string',
    secret: true,
    optional: true,
    minLength: 32,
    description:
      'key that signs session cookies (at least 32 characters); unset: random per process (sessions end when the process restarts). Set it to keep logins across restarts',
  }),
  sessionTtlMs: field<number>({
    env: 'ORCHESTRATOR_SESSION_TTL_MS',
    kind: 'int',
    min: 60_000,
    max: 30 * 86_400_000,
    default: 43_200_000,
    description: 'lifetime of a dashboard login session in ms (default 12 h)',
  }),
  cookieSecure: field<boolean>({
    env: 'ORCHESTRATOR_COOKIE_SECURE',
    kind: 'boolean',
    optional: true,
    description:
      'mark the session cookie Secure and name it with the `__Host-` prefix (the dashboard is served over HTTPS, e.g. behind a TLS proxy); unset: true when NODE_ENV=production, else false',
  }),
  loginMaxFailures: field<number>({
    env: 'ORCHESTRATOR_LOGIN_MAX_FAILURES',
    kind: 'int',
    min: 1,
    max: 1000,
    default: 5,
    description:
      'failed logins (form or HTTP Basic) per client address and per user name before further attempts are refused with 429; the lock-out doubles with every further failure',
  }),
  loginLockoutMs: field<number>({
    env: 'ORCHESTRATOR_LOGIN_LOCKOUT_MS',
    kind: 'int',
    min: 100,
    max: 3_600_000,
    default: 1000,
    description: 'first lock-out after ORCHESTRATOR_LOGIN_MAX_FAILURES failures in ms; doubles per further failure, at most 15 min; a success clears it',
  }),

  // The apps the orchestrator drives and watches
  ingestUrl: field<string>({
    env: 'ORCHESTRATOR_INGEST_URL',
    kind: 'url',
    default: 'http://127.0.0.1:3001',
    description: "base URL of the ingest app (its /runs API starts the job's runs)",
  }),
  processorUrl: field<string>({
    env: 'ORCHESTRATOR_PROCESSOR_URL',
    kind: 'url',
    default: 'http://127.0.0.1:3002',
    description: 'base URL of the stream-processor (its /health/ready and /metrics are shown on the dashboard)',
  }),
  httpTimeoutMs: field<number>({
    env: 'ORCHESTRATOR_HTTP_TIMEOUT_MS',
    kind: 'int',
    min: 100,
    max: 600_000,
    default: 5000,
    description: 'bound on each HTTP request to ingest and the stream-processor, in ms',
  }),
  pollIntervalMs: field<number>({
    env: 'ORCHESTRATOR_POLL_INTERVAL_MS',
    kind: 'int',
    min: 50,
    max: 3_600_000,
    default: 1000,
    description: 'how often a running job polls its ingest run (GET /runs/:id), in ms',
  }),

  // The reference job, user_data_kafka_stream
  jobSchedule: field<string>({
    env: 'ORCHESTRATOR_JOB_SCHEDULE',
    kind: 'string',
    default: '0 * * * *',
    description:
      'when user_data_kafka_stream runs: a five-field cron expression evaluated in UTC (`0 * * * *` = hourly, as the reference DAG) or `@every <n>(s|m|h)`',
  }),
  jobPaused: field<boolean>({
    env: 'ORCHESTRATOR_JOB_PAUSED',
    kind: 'boolean',
    default: false,
    description: 'start user_data_kafka_stream paused; applies only until the job is paused or unpaused once (that state is saved in Cassandra)',
  }),
  jobDurationSeconds: field<number>({
    env: 'ORCHESTRATOR_JOB_DURATION_SECONDS',
    kind: 'number',
    min: 1,
    max: 86_400,
    default: 60,
    description: 'default length of each ingest run in seconds (the reference streams for 60 s)',
  }),
  jobRecords: field<number>({
    env: 'ORCHESTRATOR_JOB_RECORDS',
    kind: 'int',
    min: 1,
    max: RUN_LIMITS.maxRecords,
    optional: true,
    description: 'default record limit of each ingest run (unset: bounded by the duration only)',
  }),
  jobRate: field<number>({
    env: 'ORCHESTRATOR_JOB_RATE',
    kind: 'number',
    min: RUN_LIMITS.minRate,
    max: RUN_LIMITS.maxRate,
    optional: true,
    description: 'default target rate of each ingest run in records/s (unset: as fast as ingest goes)',
  }),
  jobEncoding: field<string>({
    env: 'ORCHESTRATOR_JOB_ENCODING',
    kind: 'enum',
    values: [...INGEST_ENCODINGS],
    optional: true,
    description: "default record encoding of each ingest run (unset: ingest's own default)",
  }),
  jobRetries: field<number>({
    env: 'ORCHESTRATOR_JOB_RETRIES',
    kind: 'int',
    min: 0,
    max: 100,
    default: 2,
    description: 'extra tries after a failed one (reference: 2)',
  }),
  jobRetryDelayMs: field<number>({
    env: 'ORCHESTRATOR_JOB_RETRY_DELAY_MS',
    kind: 'int',
    min: 0,
    max: MAX_TIMER_MS,
    default: 120_000,
    description: 'delay before the first retry in ms (reference: 2 min)',
  }),
  jobExponentialBackoff: field<boolean>({
    env: 'ORCHESTRATOR_JOB_EXPONENTIAL_BACKOFF',
    kind: 'boolean',
    default: true,
    description: 'double the retry delay for each further retry (reference: on)',
  }),
  jobMaxRetryDelayMs: field<number>({
    env: 'ORCHESTRATOR_JOB_MAX_RETRY_DELAY_MS',
    kind: 'int',
    min: 0,
    max: MAX_TIMER_MS,
    default: 600_000,
    description: 'upper bound of any retry delay in ms (reference: 10 min)',
  }),
  jobTimeoutMs: field<number>({
    env: 'ORCHESTRATOR_JOB_TIMEOUT_MS',
    kind: 'int',
    min: 1000,
    max: MAX_TIMER_MS,
    default: 600_000,
    description: 'execution timeout of one try in ms; on expiry the ingest run is cancelled (DELETE /runs/:id) and the try fails',
  }),

  // Failure notifications
  webhookUrl: field<string>({
    env: 'ORCHESTRATOR_WEBHOOK_URL',
    kind: 'url',
    optional: true,
    secret: true,
    description:
      'URL POSTed a JSON payload (event run.failed) when a run fails for good; unset: no notification. Treated as a secret (such URLs often embed a token)',
  }),
  webhookAttempts: field<number>({
    env: 'ORCHESTRATOR_WEBHOOK_ATTEMPTS',
    kind: 'int',
    min: 1,
    max: 20,
    default: 5,
    description: 'attempts per webhook notification (network errors, 408, 429 and 5xx are retried)',
  }),
  webhookRetryDelayMs: field<number>({
    env: 'ORCHESTRATOR_WEBHOOK_RETRY_DELAY_MS',
    kind: 'int',
    min: 1,
    max: 30_000,
    default: 1000,
    description: 'cap of the first webhook retry delay in ms; doubles per retry (full jitter), at most 30 s',
  }),
  webhookTimeoutMs: field<number>({
    env: 'ORCHESTRATOR_WEBHOOK_TIMEOUT_MS',
    kind: 'int',
    min: 100,
    max: 600_000,
    default: 5000,
    description: 'bound on each webhook request in ms',
  }),

  // Cassandra: the run history, and the pipeline's table for the row count
  cassandraContactPoints: field<string[]>({
    env: 'CASSANDRA_CONTACT_POINTS',
    kind: 'list',
    default: ['127.0.0.1:9042'],
    description: 'Cassandra contact points, comma-separated host[:port]',
  }),
  cassandraLocalDc: field<string>({ env: 'CASSANDRA_LOCAL_DC', kind: 'string', default: 'datacenter1', description: 'Cassandra local data center' }),
  cassandraUsername: field<string>({ env: 'CASSANDRA_USERNAME', kind: 'string', optional: true, description: 'Cassandra user (unset: no authentication)' }),
  cassandraPassword: field<string>({ env: 'CASSANDRA_PASSWORD', kind: 'string', optional: true, secret: true, description: 'Cassandra password' }),
  ...tlsConfigFields('cassandra', 'CASSANDRA', 'the Cassandra nodes'),
  cassandraConnectTimeoutMs: field<number>({
    env: 'CASSANDRA_CONNECT_TIMEOUT_MS',
    kind: 'int',
    min: 1000,
    max: 3_600_000,
    default: 60_000,
    description: 'how long start-up keeps retrying to reach Cassandra, in ms',
  }),
  historyKeyspace: field<string>({
    env: 'ORCHESTRATOR_KEYSPACE',
    kind: 'string',
    default: 'userstream_orchestrator',
    description: 'keyspace of the run history and job states, created at start if missing',
  }),
  historyReplicationFactor: field<number>({
    env: 'ORCHESTRATOR_REPLICATION_FACTOR',
    kind: 'int',
    min: 1,
    max: 9,
    default: 1,
    description: 'SimpleStrategy replication factor used when the orchestrator creates its keyspace',
  }),
  sinkKeyspace: field<string>({
    env: 'CASSANDRA_KEYSPACE',
    kind: 'string',
    default: 'userstream',
    description: 'keyspace of the table the stream-processor writes (its row count is shown)',
  }),
  sinkTable: field<string>({
    env: 'CASSANDRA_USERS_TABLE',
    kind: 'string',
    default: 'users',
    description: 'table the stream-processor writes (its row count is shown)',
  }),
  rowCountTimeoutMs: field<number>({
    env: 'ORCHESTRATOR_ROW_COUNT_TIMEOUT_MS',
    kind: 'int',
    min: 100,
    max: 600_000,
    default: 5000,
    description: 'bound on the dashboard\'s COUNT(*) of the table in ms; past it, Cassandra\'s size estimate is shown, labelled "estimate"',
  }),
  rowCountCacheMs: field<number>({
    env: 'ORCHESTRATOR_ROW_COUNT_CACHE_MS',
    kind: 'int',
    min: 0,
    max: 86_400_000,
    default: 30_000,
    description: 'how long a row count is reused, in ms',
  }),
  historyIntervalMs: field<number>({
    env: 'ORCHESTRATOR_HISTORY_INTERVAL_MS',
    kind: 'int',
    min: 1000,
    max: 3_600_000,
    default: 10_000,
    description: "how often the pipeline is sampled for the dashboard's charts, in ms; 8640 samples are kept (24 h at the default)",
  }),

  // Kafka: offsets and lag for the dashboard and for "rows written"
  kafkaBrokers: field<string[]>({
    env: 'KAFKA_BROKERS',
    kind: 'list',
    default: ['127.0.0.1:9092'],
    description: 'Kafka bootstrap servers, comma-separated host:port',
  }),
  ...kafkaSecurityConfigSpec,
  kafkaTopic: field<string>({
    env: 'KAFKA_TOPIC',
    kind: 'string',
    default: 'users_created',
    description: 'topic ingest produces to; its DLQ is `<topic>.dlq`',
  }),
  kafkaGroupId: field<string>({
    env: 'KAFKA_GROUP_ID',
    kind: 'string',
    default: 'userstream-stream-processor',
    description: 'consumer group of the stream-processor; its committed offsets give lag, records/s out and rows written',
  }),
  rowsConfirmWindowMs: field<number>({
    env: 'ORCHESTRATOR_ROWS_CONFIRM_WINDOW_MS',
    kind: 'int',
    min: 1000,
    max: MAX_TIMER_MS,
    default: 900_000,
    description: 'how long after a run ends to wait for the stream-processor to commit past its offsets; after that its rows written show as unknown (ms)',
  }),
};

/** The settings with what depends on other settings resolved and the client security options built (files read). */
export type OrchestratorConfig = Omit<ConfigValues<typeof orchestratorConfigSpec>, 'cookieSecure'> & {
  cookieSecure: boolean;
  /** From KAFKA_SSL*, KAFKA_SASL_*. */
  kafkaSecurity: Pick<KafkaConnectionOptions, 'ssl' | 'sasl' | 'allowPlaintextSasl'>;
  /** From CASSANDRA_SSL*; undefined without TLS. */
  cassandraTls?: TlsConnectionOptions;
};

/** Reads and validates the configuration; throws a ConfigError naming each bad variable. */
export function loadOrchestratorConfig(env: Record<string, string | undefined>): OrchestratorConfig {
  const config = loadConfig(orchestratorConfigSpec, env);
  parseSchedule(config.jobSchedule, 'ORCHESTRATOR_JOB_SCHEDULE');
  if (config.jobDurationSeconds * 1000 >= config.jobTimeoutMs) {
    throw new ConfigError(
      `ORCHESTRATOR_JOB_TIMEOUT_MS: ${config.jobTimeoutMs} ms leaves no time for a ${config.jobDurationSeconds} s run (ORCHESTRATOR_JOB_DURATION_SECONDS); make the timeout longer`,
      { details: { variable: 'ORCHESTRATOR_JOB_TIMEOUT_MS' } },
    );
  }
  const cassandraTls = tlsOptionsFromConfig(config, 'cassandra', 'CASSANDRA');
  return {
    ...config,
    cookieSecure: config.cookieSecure ?? config.nodeEnv === 'production',
    kafkaSecurity: kafkaSecurityOptions(config),
    ...(cassandraTls ? { cassandraTls } : {}),
  };
}
