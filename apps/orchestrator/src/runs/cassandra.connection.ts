import type { ConnectionOptions } from 'node:tls';
import { Client, errors, types } from 'cassandra-driver';
import { componentLogger, describeError, retry, UserstreamError, type Logger } from '@userstream/core';

/** How to reach Cassandra. */
export interface CassandraConnectionOptions {
  contactPoints: string[];
  localDataCenter: string;
  username?: string;
  password?: string;
  /** TLS to the nodes (Node TLS options; certificates are always checked). Unset: plain TCP. */
  ssl?: ConnectionOptions;
  /** How long start-up keeps trying to connect, in milliseconds. */
  connectTimeoutMs: number;
  logger?: Logger;
}

/** A Cassandra failure, wrapped with what the orchestrator was doing. */
export class CassandraError extends UserstreamError {
  constructor(context: string, cause: unknown) {
    super(`${context}: ${describeError(cause)}`, { code: 'CASSANDRA_FAILED', retriable: isRetriableDriverError(cause), cause });
  }
}

const RETRIABLE_CODES = new Set<number>([
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.overloaded,
  types.responseErrorCodes.isBootstrapping,
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.readTimeout,
]);

/** Refusals no retry can fix: wrong or missing credentials, a certificate this client does not trust. */
function isRefusal(error: unknown): boolean {
  if (error instanceof errors.AuthenticationError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
}

function isRetriableDriverError(error: unknown): boolean {
  if (error instanceof errors.NoHostAvailableError) {
    const inner = Object.values(error.innerErrors ?? {});
    return !(inner.length > 0 && inner.every(isRefusal));
  }
  if (error instanceof errors.OperationTimedOutError) return true;
  if (error instanceof errors.ResponseError) return RETRIABLE_CODES.has(error.code);
  return false;
}

/**
 * The orchestrator's one Cassandra client, shared by the run history and
 * the dashboard's row count. Start-up retries the first connection with
 * backoff, so the app can start while Cassandra is still booting.
 */
export class CassandraConnection {
  readonly client: Client;
  private readonly logger: Logger;
  private connected?: Promise<void>;

  constructor(private readonly options: CassandraConnectionOptions) {
    this.logger = componentLogger(options.logger, 'cassandra');
    this.client = new Client({
      contactPoints: options.contactPoints,
      localDataCenter: options.localDataCenter,
      ...(options.username !== undefined ? { credentials: { username: options.username, password: options.password ?? '' } } : {}),
      ...(options.ssl ? { sslOptions: { ...options.ssl, rejectUnauthorized: true } } : {}),
      queryOptions: { prepare: true, isIdempotent: true, consistency: types.consistencies.localQuorum },
      socketOptions: { connectTimeout: 5000, readTimeout: 12_000 },
    });
  }

  /** Connects once; later calls share the first attempt. */
  connect(): Promise<void> {
    this.connected ??= retry(
      async () => {
        try {
          await this.client.connect();
        } catch (error) {
          throw new CassandraError('connecting to Cassandra', error);
        }
      },
      {
        // Bad credentials or an untrusted certificate are not retriable: they fail at once, naming what the server said.
        maxAttempts: Infinity,
        initialDelayMs: 500,
        maxDelayMs: 5000,
        deadlineMs: this.options.connectTimeoutMs,
        onRetry: ({ error, attempt, delayMs }) => this.logger.warn({ attempt, delayMs, err: describeError(error) }, 'Cassandra not reachable yet, retrying'),
      },
    );
    return this.connected;
  }

  /** Runs one statement, wrapping driver errors with `context`. */
  async execute(context: string, query: string, params: unknown[] = [], options: Record<string, unknown> = {}): Promise<types.ResultSet> {
    try {
      return await this.client.execute(query, params, { prepare: true, ...options });
    } catch (error) {
      throw new CassandraError(context, error);
    }
  }

  async ping(): Promise<void> {
    await this.execute('checking Cassandra', 'SELECT release_version FROM system.local', [], { prepare: false });
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
