import { UserstreamError, type UserstreamErrorOptions } from '@userstream/core';

/** Stable codes of the errors this library throws. */
export type KafkaErrorCode =
  | 'KAFKA_CONNECT_FAILED'
  | 'KAFKA_PRODUCE_FAILED'
  | 'KAFKA_ADMIN_FAILED'
  | 'KAFKA_COMMIT_FAILED'
  | 'KAFKA_CONSUMER_FAILED'
  | 'KAFKA_DEAD_LETTER_FAILED'
  | 'KAFKA_CLOSED'
  | 'KAFKA_UNAVAILABLE'
  | 'SCHEMA_REGISTRY_FAILED';

/**
 * An error from Kafka or the Schema Registry, wrapped at the library boundary.
 * `retriable` says whether the same operation may succeed later (broker
 * unavailable, leader moving, timeouts); the kafkajs error stays in `cause`.
 *
 * @example
 * ```ts
 * try { await producer.send(records); } catch (e) { if (isRetriable(e)) scheduleRetry(); else throw e; }
 * ```
 */
export class KafkaError extends UserstreamError {
  constructor(message: string, options: UserstreamErrorOptions & { code: KafkaErrorCode | string }) {
    super(message, options);
  }
}

/** A produce call in which some records were not acknowledged; `report` says which. */
export class ProduceError extends KafkaError {
  readonly report: SendReport;
  constructor(message: string, report: SendReport, options: Omit<UserstreamErrorOptions, 'code'> = {}) {
    super(message, { ...options, code: 'KAFKA_PRODUCE_FAILED', details: { acknowledged: report.acknowledged, failed: report.failed } });
    this.report = report;
  }
}

/** One failed slice of a send: records `[from, to)` of the input array were not acknowledged. */
export interface SendFailure {
  /** Index of the first record of the failed request in the input array. */
  from: number;
  /** Index after the last record of the failed request. */
  to: number;
  error: KafkaError;
}

/** The outcome of one `send`: how many records the broker acknowledged, and which failed. */
export interface SendReport {
  /** Records the broker acknowledged (acks=all). */
  acknowledged: number;
  /** Records that were not acknowledged (see `failures`). */
  failed: number;
  /** Produce requests made. */
  requests: number;
  /** Value + key bytes sent (before compression). */
  bytes: number;
  durationMs: number;
  failures: SendFailure[];
}

interface VendorError {
  name?: string;
  message?: string;
  retriable?: boolean;
  type?: string;
  code?: number | string;
  cause?: unknown;
  broker?: string;
}

function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10; depth++) {
    const next = (current as VendorError | undefined)?.cause;
    if (next === undefined || next === null || next === current) return current;
    current = next;
  }
  return current;
}

/**
 * Whether a kafkajs error may succeed when tried again. kafkajs marks its own
 * retry exhaustion (`KafkaJSNumberOfRetriesExceeded`) as non-retriable, but
 * the failure underneath (a broker down, a leader moving) usually is, so the
 * decision follows the root cause, as kafkajs's own consumer restart does.
 */
export function isVendorRetriable(error: unknown): boolean {
  if (error instanceof UserstreamError) return error.retriable;
  const e = error as VendorError | undefined;
  if (!e || typeof e !== 'object') return false;
  // Generic wrappers: kafkajs gave up (retries exhausted, a lock or a timeout) or bailed out
  // with a plain "non-retriable" error around the real failure. What matters for the caller
  // is the failure underneath, e.g. a refused connection is worth trying later.
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSLockTimeout' || e.name === 'KafkaJSTimeout') {
    const root = rootCause(e) as VendorError;
    return root === e ? true : isVendorRetriable(root);
  }
  if (e.name === 'KafkaJSNonRetriableError' && e.cause !== undefined && e.cause !== null) return isVendorRetriable(rootCause(e));
  if (e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSConnectionClosedError' || e.name === 'KafkaJSRequestTimeoutError') return true;
  if (e.name === 'KafkaJSSASLAuthenticationError') return false;
  if (typeof e.retriable === 'boolean') return e.retriable;
  // Node socket errors before kafkajs wrapped them.
  return typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'].includes(e.code);
}

/**
 * Wraps any error thrown by kafkajs in a {@link KafkaError} with context,
 * keeping an existing `UserstreamError` unchanged.
 */
export function wrapKafkaError(error: unknown, context: string, code: KafkaErrorCode, details: Record<string, unknown> = {}): UserstreamError {
  if (error instanceof UserstreamError) return error;
  const e = error as VendorError | undefined;
  const message = e && typeof e.message === 'string' ? e.message : String(error);
  const root = rootCause(error) as VendorError | undefined;
  const rootMessage = root && root !== e && typeof root.message === 'string' && root.message !== message ? ` (cause: ${root.message})` : '';
  return new KafkaError(`${context}: ${message}${rootMessage}`, {
    code,
    retriable: isVendorRetriable(error),
    cause: error,
    details: {
      ...details,
      ...(e?.name ? { vendorError: e.name } : {}),
      ...(e?.type ? { kafkaErrorType: e.type } : {}),
      ...(root && root !== e && (root as VendorError).type ? { rootErrorType: (root as VendorError).type } : {}),
    },
  });
}

/** kafkajs error types that mean "the group is rebalancing: give the partitions back and rejoin". */
const REBALANCE_TYPES = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);

/** True when a kafkajs error says the consumer must rejoin its group. */
export function isRebalanceError(error: unknown): boolean {
  const e = error as VendorError | undefined;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.type === 'string' && REBALANCE_TYPES.has(e.type)) return true;
  return e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSError' ? isRebalanceError(e.cause) : false;
}
