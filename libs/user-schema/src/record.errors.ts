import { UserstreamError } from '@userstream/core';

/** One thing wrong with a record: where, and why. */
export interface RecordProblem {
  /** Dotted path into the input, e.g. `location.street.number`. */
  path: string;
  /** What was wrong, e.g. `missing` or `expected a UUID string, got number`. */
  reason: string;
}

function listProblems(problems: readonly RecordProblem[]): string {
  return problems.map((p) => `${p.path} (${p.reason})`).join(', ');
}

/**
 * A record (a randomuser.me result, or a record given to `encode`) lacks a
 * required field or has one of the wrong type. `paths` names every bad path,
 * not only the first. Never retriable: the same input fails the same way.
 *
 * @example
 * ```ts
 * try { fromRandomUser(result); } catch (e) {
 *   if (e instanceof InvalidRecordError) log.warn({ paths: e.paths }, 'skipping bad result');
 * }
 * ```
 */
export class InvalidRecordError extends UserstreamError {
  /** Every bad path, in field order. */
  readonly paths: readonly string[];
  /** Every bad path with the reason. */
  readonly problems: readonly RecordProblem[];

  constructor(context: string, problems: readonly RecordProblem[]) {
    super(`${context}: ${listProblems(problems)}`, {
      code: 'RECORD_INVALID',
      retriable: false,
      details: { paths: problems.map((p) => p.path), problems },
    });
    this.problems = problems;
    this.paths = problems.map((p) => p.path);
  }
}

/**
 * Why a value could not be decoded. Stable strings, fit for a DLQ header.
 *
 * - `empty`: zero bytes.
 * - `unknown-magic`: the first bytes match no known encoding.
 * - `unknown-fingerprint`: single-object encoding with a fingerprint of no bundled schema.
 * - `truncated`: the value ends before the record does.
 * - `trailing-bytes`: bytes left after the record.
 * - `invalid-avro`: the Avro body is malformed (e.g. a bad union index).
 * - `invalid-schema`: the schema a Confluent id resolved to is not valid Avro.
 * - `incompatible-schema`: the writer schema cannot be read with the reader schema.
 * - `invalid-json`: the JSON text does not parse.
 * - `invalid-fields`: the record decoded but field values are wrong (e.g. `id` is not a UUID).
 */
export type DecodeFailureReason =
  | 'empty'
  | 'unknown-magic'
  | 'unknown-fingerprint'
  | 'truncated'
  | 'trailing-bytes'
  | 'invalid-avro'
  | 'invalid-schema'
  | 'incompatible-schema'
  | 'invalid-json'
  | 'invalid-fields';

/** Options of {@link DecodeError}. */
export interface DecodeErrorOptions {
  cause?: unknown;
  /** Bad fields, for `invalid-fields`. */
  fields?: readonly string[];
  details?: Record<string, unknown>;
}

/**
 * A value that cannot be decoded into a user record: a poison record, to be
 * sent to the DLQ with `reason` and `message` in its headers. Never retriable.
 *
 * @example
 * ```ts
 * try { codec.decode(value); } catch (e) {
 *   if (e instanceof DecodeError) await dlq.send(message, { reason: e.reason, error: e.message });
 * }
 * ```
 */
export class DecodeError extends UserstreamError {
  /** Stable reason code; see {@link DecodeFailureReason}. */
  readonly reason: DecodeFailureReason;
  /** For `invalid-fields`: the bad field names. Empty otherwise. */
  readonly fields: readonly string[];

  constructor(reason: DecodeFailureReason, message: string, options: DecodeErrorOptions = {}) {
    const fields = options.fields ?? [];
    super(message, {
      code: 'RECORD_UNDECODABLE',
      retriable: false,
      cause: options.cause,
      details: { reason, ...(fields.length > 0 ? { fields } : {}), ...options.details },
    });
    this.reason = reason;
    this.fields = fields;
  }
}

/**
 * A Confluent-framed value names a schema id the codec has not resolved yet.
 * `decode` (synchronous) throws it for any uncached id; `decodeAsync` throws it
 * when the `resolveSchemaId` call fails (the cause is kept). Retriable when the
 * codec has a `resolveSchemaId` (try `decodeAsync`, or again later); not
 * retriable without one, since nothing but `registerSchemaId` can resolve it.
 */
export class UnknownSchemaIdError extends UserstreamError {
  readonly schemaId: number;

  constructor(schemaId: number, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { code: 'SCHEMA_ID_UNKNOWN', retriable: options.retriable, cause: options.cause, details: { schemaId } });
    this.schemaId = schemaId;
  }
}
