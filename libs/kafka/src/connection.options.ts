import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConfigError, field, tlsConfigFields, tlsOptionsFromConfig, type ConfigValues, type Logger } from '@userstream/core';
import type { KafkaLogLevelName } from './kafka.logger';

/** SASL mechanisms supported by this adapter. */
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** SASL credentials. The password is never logged. */
export interface SaslOptions {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** How to reach the Kafka cluster. */
export interface KafkaConnectionOptions {
  /** Bootstrap servers as `host:port` (IPv6 as `[::1]:9092`). Required, at least one. */
  brokers: string[];
  /** Client id sent to the brokers (shows in broker logs and quotas). Default `userstream`. */
  clientId?: string;
  /** `true` for TLS with Node's defaults, or Node TLS options (CA, client cert...). Default off. */
  ssl?: boolean | TlsConnectionOptions;
  sasl?: SaslOptions;
  /**
   * Allow SASL `plain` without TLS, which sends the password in clear to
   * anyone on the path. Default false: such options are refused.
   */
  allowPlaintextSasl?: boolean;
  /** TCP connect timeout in milliseconds. Default 3 000. */
  connectionTimeoutMs?: number;
  /** Per-request timeout in milliseconds. Default 30 000. */
  requestTimeoutMs?: number;
  /**
   * kafkajs's own retry of failed requests (metadata, produce, fetch...). Defaults: 5
   * retries from 300 ms, capped at 30 s. The idempotent producer retries forever
   * regardless (kafkajs's rule for idempotence).
   */
  retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number };
  /** Pino-compatible logger; kafkajs's own logs go to its `kafka` child. Default: silent. */
  logger?: Logger;
  /** Lowest kafkajs log level passed to `logger`. Default `warn`. */
  kafkaLogLevel?: KafkaLogLevelName;
}

/** {@link KafkaConnectionOptions} with defaults applied. */
export interface ResolvedConnectionOptions {
  brokers: string[];
  clientId: string;
  ssl?: boolean | TlsConnectionOptions;
  sasl?: SaslOptions;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retry: { retries: number; initialRetryTimeMs: number; maxRetryTimeMs: number };
  kafkaLogLevel: KafkaLogLevelName;
}

const MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];
const LOG_LEVELS: readonly KafkaLogLevelName[] = ['nothing', 'error', 'warn', 'info', 'debug'];

/** Checks one `host:port` bootstrap address; returns a problem or undefined. */
export function checkBrokerAddress(address: unknown): string | undefined {
  if (typeof address !== 'string' || address.trim() === '') return `broker address must be a non-empty "host:port" string (got ${JSON.stringify(address)})`;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d+)$/.exec(address.trim());
  if (!match) return `broker address ${JSON.stringify(address)} must look like "host:port"`;
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `broker address ${JSON.stringify(address)} has port ${match[2]}, outside 1-65535`;
  return undefined;
}

function positiveInt(problems: string[], name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    problems.push(`${name} must be an integer >= ${min} (got ${JSON.stringify(value)})`);
    return fallback;
  }
  return value;
}

/**
 * Validates connection options and applies defaults. Throws one
 * {@link ConfigError} listing every problem (empty brokers, bad `host:port`,
 * unknown SASL mechanism, missing credentials, bad timeouts).
 *
 * @example
 * ```ts
 * const resolved = resolveConnectionOptions({ brokers: ['127.0.0.1:9092'], clientId: 'ingest' });
 * ```
 */
export function resolveConnectionOptions(options: KafkaConnectionOptions): ResolvedConnectionOptions {
  const problems: string[] = [];
  if (!options || typeof options !== 'object') throw new ConfigError('kafka connection options: expected an object');
  const brokers = options.brokers as unknown;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    problems.push('brokers must list at least one "host:port" address');
  } else {
    for (const address of brokers) {
      const problem = checkBrokerAddress(address);
      if (problem) problems.push(problem);
    }
  }
  const clientId = options.clientId ?? 'userstream';
  if (typeof clientId !== 'string' || clientId.trim() === '') problems.push('clientId must be a non-empty string');

  let sasl: SaslOptions | undefined;
  if (options.sasl !== undefined) {
    const s = options.sasl as Partial<SaslOptions> | null;
    if (!s || typeof s !== 'object') {
      problems.push('sasl must be an object { mechanism, username, password }');
    } else {
      const mechanism = typeof s.mechanism === 'string' ? (s.mechanism.toLowerCase() as SaslMechanism) : undefined;
      if (!mechanism || !MECHANISMS.includes(mechanism)) {
        problems.push(`sasl.mechanism must be one of ${MECHANISMS.join(', ')} (got ${JSON.stringify(s.mechanism)})`);
      }
      if (typeof s.username !== 'string' || s.username === '') problems.push('sasl.username is required');
      if (typeof s.password !== 'string' || s.password === '') problems.push('sasl.password is required');
      if (mechanism && MECHANISMS.includes(mechanism)) sasl = { mechanism, username: s.username ?? '', password: s.password ?? '' };
    }
  }
  if (options.ssl !== undefined && typeof options.ssl !== 'boolean' && (typeof options.ssl !== 'object' || options.ssl === null)) {
    problems.push('ssl must be a boolean or Node TLS connection options');
  }
  if (sasl?.mechanism === 'plain' && !options.ssl && options.allowPlaintextSasl !== true) {
    problems.push('sasl.mechanism plain without ssl would send the password in clear: turn on ssl (or set allowPlaintextSasl)');
  }
  const kafkaLogLevel = options.kafkaLogLevel ?? 'warn';
  if (!LOG_LEVELS.includes(kafkaLogLevel)) problems.push(`kafkaLogLevel must be one of ${LOG_LEVELS.join(', ')}`);

  const connectionTimeoutMs = positiveInt(problems, 'connectionTimeoutMs', options.connectionTimeoutMs, 3_000);
  const requestTimeoutMs = positiveInt(problems, 'requestTimeoutMs', options.requestTimeoutMs, 30_000);
  const retry = {
    retries: positiveInt(problems, 'retry.retries', options.retry?.retries, 5, 0),
    initialRetryTimeMs: positiveInt(problems, 'retry.initialRetryTimeMs', options.retry?.initialRetryTimeMs, 300),
    maxRetryTimeMs: positiveInt(problems, 'retry.maxRetryTimeMs', options.retry?.maxRetryTimeMs, 30_000),
  };

  if (problems.length > 0) {
    throw new ConfigError(`invalid kafka connection options: ${problems.join('; ')}`, { details: { problems } });
  }
  return {
    brokers: (brokers as string[]).map((b) => b.trim()),
    clientId,
    ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
    ...(sasl ? { sasl } : {}),
    connectionTimeoutMs,
    requestTimeoutMs,
    retry,
    kafkaLogLevel,
  };
}

/**
 * The Kafka security settings every app reads, as config fields for
 * `loadConfig` (`@userstream/core`): TLS (`KAFKA_SSL`, a CA, a client
 * certificate and key, a server name) and SASL. Apps spread it into their
 * own spec so the variables are the same everywhere; turn the values into
 * client options with {@link kafkaSecurityOptions}.
 */
export const kafkaSecurityConfigSpec = {
  ...tlsConfigFields('kafka', 'KAFKA', 'the Kafka brokers'),
  kafkaSaslMechanism: field<string>({
    env: 'KAFKA_SASL_MECHANISM',
    kind: 'enum',
    values: MECHANISMS,
    optional: true,
    description: 'SASL mechanism; unset for no authentication',
  }),
  kafkaSaslUsername: field<string>({ env: 'KAFKA_SASL_USERNAME', kind: 'string', optional: true, description: 'SASL user name' }),
  kafkaSaslPassword: field<string>({ env: 'KAFKA_SASL_PASSWORD', kind: 'string', optional: true, secret: true, description: 'SASL password' }),
  kafkaSaslAllowPlaintext: field<boolean>({
    env: 'KAFKA_SASL_ALLOW_PLAINTEXT',
    kind: 'boolean',
    default: false,
    description: 'allow SASL `plain` without TLS (the password then crosses the network in clear); otherwise such a setup refuses to start',
  }),
};

/** The values of {@link kafkaSecurityConfigSpec}. */
export type KafkaSecurityConfig = ConfigValues<typeof kafkaSecurityConfigSpec>;

/**
 * Client options (`ssl`, `sasl`, `allowPlaintextSasl`) from the security
 * settings, reading the CA, certificate and key files. Throws ConfigError
 * naming the variable: SASL without user name or password, or `plain`
 * without TLS unless KAFKA_SASL_ALLOW_PLAINTEXT is true.
 *
 * @example
 * ```ts
 * const config = loadConfig({ ...kafkaSecurityConfigSpec, brokers }, process.env);
 * const kafka = new KafkaClient({ brokers: config.brokers, ...kafkaSecurityOptions(config) });
 * ```
 */
export function kafkaSecurityOptions(config: KafkaSecurityConfig): Pick<KafkaConnectionOptions, 'ssl' | 'sasl' | 'allowPlaintextSasl'> {
  const ssl = tlsOptionsFromConfig(config, 'kafka', 'KAFKA');
  if (!config.kafkaSaslMechanism) return ssl ? { ssl } : {};
  if (!config.kafkaSaslUsername || !config.kafkaSaslPassword) {
    throw new ConfigError('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM', {
      details: { variables: ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] },
    });
  }
  if (config.kafkaSaslMechanism === 'plain' && !ssl && !config.kafkaSaslAllowPlaintext) {
    throw new ConfigError(
      'KAFKA_SASL_MECHANISM: plain without TLS would send the password in clear; set KAFKA_SSL=true (or KAFKA_SASL_ALLOW_PLAINTEXT=true on a network you trust)',
      { details: { variables: ['KAFKA_SASL_MECHANISM', 'KAFKA_SSL', 'KAFKA_SASL_ALLOW_PLAINTEXT'] } },
    );
  }
  return {
    ...(ssl ? { ssl } : {}),
    sasl: { mechanism: config.kafkaSaslMechanism as SaslMechanism, username: config.kafkaSaslUsername, password: config.kafkaSaslPassword },
    ...(config.kafkaSaslAllowPlaintext ? { allowPlaintextSasl: true } : {}),
  };
}

/**
 * Schema Registry credentials as secrets of their own
 * (`SCHEMA_REGISTRY_USERNAME`, `SCHEMA_REGISTRY_PASSWORD`), so the registry
 * URL, which apps log, carries none. Resolve with {@link schemaRegistryAuth}.
 */
export const schemaRegistryCredentialsSpec = {
  schemaRegistryUsername: field<string>({
    env: 'SCHEMA_REGISTRY_USERNAME',
    kind: 'string',
    optional: true,
    description: 'Schema Registry user (HTTP Basic; Confluent Cloud: the API key)',
  }),
  schemaRegistryPassword: field<string>({
    env: 'SCHEMA_REGISTRY_PASSWORD',
    kind: 'string',
    optional: true,
    secret: true,
    description: 'Schema Registry password (Confluent Cloud: the API secret)',
  }),
};

/** The `auth` option of `createSchemaRegistry`: both credentials or neither; throws ConfigError naming the missing one. */
export function schemaRegistryAuth(config: ConfigValues<typeof schemaRegistryCredentialsSpec>): { username: string; password: string } | undefined {
  const { schemaRegistryUsername: username, schemaRegistryPassword: password } = config;
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    const missing = username === undefined ? 'SCHEMA_REGISTRY_USERNAME' : 'SCHEMA_REGISTRY_PASSWORD';
    throw new ConfigError(`${missing}: SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together`, { details: { variable: missing } });
  }
  return { username, password };
}
