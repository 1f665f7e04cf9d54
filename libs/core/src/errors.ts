/**
 * Options accepted by every userstream error.
 */
export interface UserstreamErrorOptions {
  /** Stable, machine-readable code, e.g. `KAFKA_PRODUCE_FAILED`. */
  code?: string;
  /** Whether trying the same operation again may succeed. Defaults to `false`. */
  retriable?: boolean;
  /** The underlying error, kept for logs and debugging. */
  cause?: unknown;
  /** Structured context (paths, offsets, status codes) that helps explain the failure. */
  details?: Record<string, unknown>;
}

/**
 * The base of every error userstream throws. Vendor errors (kafkajs, got,
 * cassandra-driver) are wrapped in a subclass at the library boundary, so
 * callers can decide on `retriable` and `code` without knowing the vendor.
 *
 * @example
 * ```ts
 * throw new UserstreamError('writing batch: table missing', { code: 'SINK_SCHEMA', retriable: false });
 * ```
 */
export class UserstreamError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: UserstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'USERSTREAM_ERROR';
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }

  /** A plain object for logs and HTTP responses. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
    };
  }
}

/** Invalid options or configuration. Never retriable. */
export class ConfigError extends UserstreamError {
  constructor(message: string, options: Omit<UserstreamErrorOptions, 'retriable'> = {}) {
    super(message, { code: 'CONFIG_INVALID', ...options, retriable: false });
  }
}

/** An operation ran past its deadline. Retriable by default. */
export class TimeoutError extends UserstreamError {
  constructor(message: string, options: UserstreamErrorOptions = {}) {
    super(message, { code: 'TIMEOUT', retriable: true, ...options });
  }
}

/** An operation was cancelled through an AbortSignal. Never retriable. */
export class AbortError extends UserstreamError {
  constructor(message = 'operation aborted', options: Omit<UserstreamErrorOptions, 'retriable'> = {}) {
    super(message, { code: 'ABORTED', ...options, retriable: false });
  }
}

/** True when `error` says trying again may help (`retriable: true`). */
export function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

/** A short, single-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
