import { errors as driverErrors, types } from 'cassandra-driver';
import { describeError, UserstreamError, type UserstreamErrorOptions } from '@userstream/core';

/**
 * Stable codes carried by {@link SinkError}. Callers branch on `retriable`
 * first and use the code for metrics, logs and DLQ headers.
 *
 * @example
 * ```ts
 * if (result.code === SinkErrorCode.INVALID_RECORD) await dlq.send(record, { reason: result.error.message });
 * ```
 */
export const SinkErrorCode = {
  /** The session could not be created (unreachable hosts, bad credentials, TLS). */
  CONNECT_FAILED: 'SINK_CONNECT_FAILED',
  /** `writeBatch`/`migrate`/`ping` called before `connect()` or after `close()`. Retriable: call `connect()`. */
  NOT_CONNECTED: 'SINK_NOT_CONNECTED',
  /** The record cannot be written as it is (id not a UUID, a value of the wrong type). Never retriable. */
  INVALID_RECORD: 'SINK_INVALID_RECORD',
  /** A write or read timed out on the server (WriteTimeout/ReadTimeout) or in the driver (OperationTimedOut). */
  TIMEOUT: 'SINK_TIMEOUT',
  /** Not enough replicas alive, no host reachable, connections busy or closed. */
  UNAVAILABLE: 'SINK_UNAVAILABLE',
  /** The coordinator is overloaded. */
  OVERLOADED: 'SINK_OVERLOADED',
  /** A server-side failure that may pass (server error, write/read failure, bootstrapping node). */
  SERVER_ERROR: 'SINK_SERVER_ERROR',
  /** The statement is wrong for the cluster: syntax, unknown keyspace/table/column, bad config. Never retriable. */
  INVALID_QUERY: 'SINK_INVALID_QUERY',
  /** Authentication or authorization failed. Never retriable. */
  UNAUTHORIZED: 'SINK_UNAUTHORIZED',
  /** The record was not attempted because the batch stopped early (retries exhausted elsewhere, or aborted). */
  NOT_ATTEMPTED: 'SINK_NOT_ATTEMPTED',
  /** Creating the keyspace or tables failed. */
  MIGRATION_FAILED: 'SINK_MIGRATION_FAILED',
  /** An existing table has a column whose type differs from what the sink writes. Never retriable. */
  SCHEMA_MISMATCH: 'SINK_SCHEMA_MISMATCH',
  /** Hosts did not agree on the schema version before the deadline. */
  SCHEMA_AGREEMENT_TIMEOUT: 'SINK_SCHEMA_AGREEMENT_TIMEOUT',
  /** Any other failure; not retriable. */
  UNKNOWN: 'SINK_WRITE_FAILED',
} as const;

/** One of the {@link SinkErrorCode} values. */
export type SinkErrorCode = (typeof SinkErrorCode)[keyof typeof SinkErrorCode];

/**
 * The error type of `@userstream/cassandra-sink`. Driver errors are wrapped in
 * it with context in the message ("writing to users: ...") and the driver
 * error as `cause`; `retriable` says whether the same write may succeed later.
 *
 * @example
 * ```ts
 * try { await sink.connect(); } catch (e) {
 *   if (e instanceof SinkError && e.retriable) scheduleReconnect();
 *   else throw e;
 * }
 * ```
 */
export class SinkError extends UserstreamError {
  override readonly code: SinkErrorCode;
  constructor(message: string, options: UserstreamErrorOptions & { code: SinkErrorCode }) {
    super(message, options);
    this.code = options.code;
  }
}

/** What {@link classifyDriverError} decides about one failure: a {@link SinkErrorCode} and whether trying again may help. */
export interface ErrorClassification {
  code: SinkErrorCode;
  retriable: boolean;
}

const codes = types.responseErrorCodes;

/** Server response codes, one decision per failure type (like the driver's retry policies). */
const responseDecisions: ReadonlyMap<number, ErrorClassification> = new Map([
  [codes.writeTimeout, { code: SinkErrorCode.TIMEOUT, retriable: true }],
  [codes.readTimeout, { code: SinkErrorCode.TIMEOUT, retriable: true }],
  [codes.unavailableException, { code: SinkErrorCode.UNAVAILABLE, retriable: true }],
  [codes.isBootstrapping, { code: SinkErrorCode.UNAVAILABLE, retriable: true }],
  [codes.clientWriteFailure, { code: SinkErrorCode.UNAVAILABLE, retriable: true }],
  [codes.overloaded, { code: SinkErrorCode.OVERLOADED, retriable: true }],
  [codes.serverError, { code: SinkErrorCode.SERVER_ERROR, retriable: true }],
  [codes.writeFailure, { code: SinkErrorCode.SERVER_ERROR, retriable: true }],
  [codes.readFailure, { code: SinkErrorCode.SERVER_ERROR, retriable: true }],
  [codes.truncateError, { code: SinkErrorCode.SERVER_ERROR, retriable: true }],
  // The driver re-prepares on its own; if this still surfaces, the next attempt prepares afresh.
  [codes.unprepared, { code: SinkErrorCode.SERVER_ERROR, retriable: true }],
  [codes.syntaxError, { code: SinkErrorCode.INVALID_QUERY, retriable: false }],
  [codes.invalid, { code: SinkErrorCode.INVALID_QUERY, retriable: false }],
  [codes.configError, { code: SinkErrorCode.INVALID_QUERY, retriable: false }],
  [codes.alreadyExists, { code: SinkErrorCode.INVALID_QUERY, retriable: false }],
  [codes.protocolError, { code: SinkErrorCode.INVALID_QUERY, retriable: false }],
  [codes.functionFailure, { code: SinkErrorCode.INVALID_QUERY, retriable: false }],
  [codes.unauthorized, { code: SinkErrorCode.UNAUTHORIZED, retriable: false }],
  [codes.badCredentials, { code: SinkErrorCode.UNAUTHORIZED, retriable: false }],
]);

/** Socket-level failures: the node went away or is not there yet. */
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Maps a cassandra-driver error (or a socket error) to a {@link SinkErrorCode}
 * and a retriable flag:
 *
 * - retriable: `ResponseError` with writeTimeout, readTimeout, unavailableException,
 *   overloaded, isBootstrapping, serverError, writeFailure, readFailure;
 *   `OperationTimedOutError`; `BusyConnectionError`; `NoHostAvailableError`
 *   (unless every host failed for a non-retriable reason such as bad
 *   credentials); socket errors (ECONNREFUSED, ECONNRESET, ...).
 * - not retriable: `ResponseError` with syntaxError, invalid, configError,
 *   unauthorized, badCredentials; `AuthenticationError`; `TypeError` and
 *   `ArgumentError` (a value the driver cannot encode); anything unknown.
 *
 * @example
 * ```ts
 * classifyDriverError(new errors.ResponseError(types.responseErrorCodes.overloaded, 'busy'));
 * // { code: 'SINK_OVERLOADED', retriable: true }
 * ```
 */
export function classifyDriverError(error: unknown): ErrorClassification {
  if (error instanceof SinkError) return { code: error.code, retriable: error.retriable };
  if (error instanceof driverErrors.ResponseError) {
    return responseDecisions.get(error.code) ?? { code: SinkErrorCode.UNKNOWN, retriable: false };
  }
  if (error instanceof driverErrors.OperationTimedOutError) return { code: SinkErrorCode.TIMEOUT, retriable: true };
  if (error instanceof driverErrors.BusyConnectionError) return { code: SinkErrorCode.UNAVAILABLE, retriable: true };
  if (error instanceof driverErrors.AuthenticationError) return { code: SinkErrorCode.UNAUTHORIZED, retriable: false };
  if (error instanceof driverErrors.NoHostAvailableError) return classifyNoHostAvailable(error);
  // The driver throws TypeError when a parameter does not fit the column type.
  if (error instanceof TypeError || error instanceof driverErrors.ArgumentError) {
    return { code: SinkErrorCode.INVALID_RECORD, retriable: false };
  }
  if (error instanceof driverErrors.NotSupportedError) return { code: SinkErrorCode.INVALID_QUERY, retriable: false };
  // Internal errors are mostly connections closing under the driver's feet.
  if (error instanceof driverErrors.DriverInternalError) return { code: SinkErrorCode.UNAVAILABLE, retriable: true };
  const sysCode = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof sysCode === 'string' && networkErrorCodes.has(sysCode)) {
    return { code: SinkErrorCode.UNAVAILABLE, retriable: true };
  }
  return { code: SinkErrorCode.UNKNOWN, retriable: false };
}

function classifyNoHostAvailable(error: InstanceType<typeof driverErrors.NoHostAvailableError>): ErrorClassification {
  const inner: unknown[] = error.innerErrors && typeof error.innerErrors === 'object' ? Object.values(error.innerErrors as Record<string, unknown>) : [];
  const decisions = inner.filter((e) => e !== null && e !== undefined).map((e) => classifyDriverError(e));
  // Every host refused us for a reason no retry can fix: bad credentials, or a
  // setting the cluster contradicts (e.g. an unknown localDataCenter, which the
  // driver reports as ArgumentError). Anything else (refused connections,
  // timeouts, unknown socket errors) may pass.
  if (decisions.length > 0 && decisions.every((d) => d.code === SinkErrorCode.UNAUTHORIZED)) {
    return { code: SinkErrorCode.UNAUTHORIZED, retriable: false };
  }
  if (inner.length > 0 && inner.every((e) => e instanceof driverErrors.ArgumentError || e instanceof driverErrors.AuthenticationError)) {
    return { code: SinkErrorCode.INVALID_QUERY, retriable: false };
  }
  return { code: SinkErrorCode.UNAVAILABLE, retriable: true };
}

/**
 * Wraps any thrown value in a {@link SinkError} with `context` prefixed to the
 * message ("creating Cassandra session: ..."), classified by
 * {@link classifyDriverError} unless `override` fixes the code or the
 * retriable flag. Driver details (write type, replicas received/required)
 * go to `details`. A SinkError passes through unchanged when there is no
 * override.
 *
 * @example
 * ```ts
 * try { await client.execute(cql); } catch (e) { throw wrapDriverError(e, 'reading users'); }
 * ```
 */
export function wrapDriverError(error: unknown, context: string, override?: Partial<ErrorClassification>, details?: Record<string, unknown>): SinkError {
  if (error instanceof SinkError && override === undefined) return error;
  const decided = { ...classifyDriverError(error), ...override };
  return new SinkError(`${context}: ${describeDriverError(error)}`, {
    code: decided.code,
    retriable: decided.retriable,
    cause: error,
    details: { ...driverErrorDetails(error), ...details },
  });
}

/**
 * One line for any driver error. NoHostAvailableError's own message embeds an
 * inspected inner error over several lines; list each host's reason instead.
 */
export function describeDriverError(error: unknown): string {
  if (error instanceof driverErrors.NoHostAvailableError && error.innerErrors && typeof error.innerErrors === 'object') {
    const hosts = Object.entries(error.innerErrors as Record<string, unknown>);
    if (hosts.length > 0) {
      const reasons = hosts.map(([host, inner]) => `${host}: ${describeDriverError(inner)}`);
      return `no host could serve the request (${reasons.join('; ')})`;
    }
  }
  return describeError(error).replace(/\s*\n\s*/g, ' ');
}

function driverErrorDetails(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return {};
  const out: Record<string, unknown> = {};
  const e = error as Record<string, unknown>;
  if (error instanceof driverErrors.DriverError) out['driverError'] = (error as Error).name;
  if (typeof e['code'] === 'number' || typeof e['code'] === 'string') out['driverCode'] = e['code'];
  for (const key of ['consistencies', 'required', 'alive', 'received', 'blockFor', 'writeType', 'host']) {
    if (e[key] !== undefined) out[key] = e[key];
  }
  return out;
}
