import { randomBytes } from 'node:crypto';
import { UserstreamError } from '@userstream/core';
import { MAX_PAGE, MAX_RESULTS_PER_PAGE, NATIONALITIES } from '@userstream/randomuser-client';
import type { IngestEncoding } from '../app.config';
import type { RunParams } from './run.types';

/** Most users one run may ask for. */
export const MAX_RUN_RECORDS = 10_000_000;
/** Longest duration of one run, in seconds (a day). */
export const MAX_RUN_SECONDS = 86_400;
/** Longest seed accepted. */
export const MAX_SEED_LENGTH = 128;

const ENCODINGS: readonly IngestEncoding[] = ['avro', 'confluent', 'json'];
const ALLOWED = ['records', 'durationSeconds', 'rate', 'seed', 'nat', 'encoding', 'startPage', 'pageSize'] as const;

/** Run parameters were refused; `message` names the parameter and why. Answered as HTTP 400. */
export class InvalidRunParamsError extends UserstreamError {
  constructor(message: string) {
    super(message, { code: 'RUN_PARAMS_INVALID', retriable: false });
  }
}

/** What the defaults of a run come from (the configuration). */
export interface RunDefaults {
  encoding: IngestEncoding;
  pageSize: number;
  /** Whether a Schema Registry is configured (the `confluent` encoding needs one). */
  schemaRegistry: boolean;
}

/** A random 16-hex-digit seed, like the ones randomuser.me picks. */
export function randomSeed(): string {
  return randomBytes(8).toString('hex');
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function integer(body: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidRunParamsError(`${name} must be an integer from ${min} to ${max} (got ${describe(value)})`);
  }
  return value;
}

function positive(body: Record<string, unknown>, name: string, max: number): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new InvalidRunParamsError(`${name} must be a number greater than 0 and at most ${max} (got ${describe(value)})`);
  }
  return value;
}

/**
 * Checks a `POST /runs` body (or command-line options) and resolves the
 * defaults: a random seed, the configured encoding and page size, page 1.
 * At least one bound (`records` or `durationSeconds`) is required, and a
 * records-bounded run must fit in the API's 10 000 pages of a seed.
 *
 * @throws InvalidRunParamsError naming the first bad parameter and why.
 */
export function validateRunParams(body: unknown, defaults: RunDefaults): RunParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRunParamsError(`the body must be a JSON object (got ${describe(body)})`);
  }
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).filter((key) => !(ALLOWED as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new InvalidRunParamsError(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${ALLOWED.join(', ')})`);
  }

  const records = integer(input, 'records', 1, MAX_RUN_RECORDS);
  const durationSeconds = positive(input, 'durationSeconds', MAX_RUN_SECONDS);
  if (records === undefined && durationSeconds === undefined) {
    throw new InvalidRunParamsError('records or durationSeconds is required: a run needs a bound (a record count, a duration, or both)');
  }
  const rate = positive(input, 'rate', Number.MAX_SAFE_INTEGER);

  let seed: string;
  if (input['seed'] === undefined) {
    seed = randomSeed();
  } else {
    const value = input['seed'];
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SEED_LENGTH || hasControlCharacter(value)) {
      throw new InvalidRunParamsError(`seed must be a non-empty string of at most ${MAX_SEED_LENGTH} printable characters (got ${describe(value)})`);
    }
    seed = value;
  }

  let nat: string | undefined;
  if (input['nat'] !== undefined) {
    const value = input['nat'];
    if (typeof value !== 'string') throw new InvalidRunParamsError(`nat must be a comma-separated string of nationality codes (got ${describe(value)})`);
    const codes = value
      .split(',')
      .map((code) => code.trim().toUpperCase())
      .filter((code) => code.length > 0);
    if (codes.length === 0) throw new InvalidRunParamsError('nat must name at least one nationality');
    const bad = codes.find((code) => !(NATIONALITIES as readonly string[]).includes(code));
    if (bad !== undefined) throw new InvalidRunParamsError(`nat: unknown nationality ${JSON.stringify(bad)} (known: ${NATIONALITIES.join(', ')})`);
    nat = [...new Set(codes)].join(',');
  }

  let encoding = defaults.encoding;
  if (input['encoding'] !== undefined) {
    const value = input['encoding'];
    if (typeof value !== 'string' || !(ENCODINGS as readonly string[]).includes(value)) {
      throw new InvalidRunParamsError(`encoding must be one of ${ENCODINGS.join(', ')} (got ${describe(value)})`);
    }
    encoding = value as IngestEncoding;
  }
  if (encoding === 'confluent' && !defaults.schemaRegistry) {
    throw new InvalidRunParamsError('encoding confluent needs a Schema Registry, and SCHEMA_REGISTRY_URL is not set (use avro or json)');
  }

  const startPage = integer(input, 'startPage', 1, MAX_PAGE) ?? 1;
  const pageSize = integer(input, 'pageSize', 1, MAX_RESULTS_PER_PAGE) ?? defaults.pageSize;
  if (records !== undefined) {
    const lastPage = startPage + Math.ceil(records / pageSize) - 1;
    if (lastPage > MAX_PAGE) {
      throw new InvalidRunParamsError(
        `records: ${records} users from page ${startPage} in pages of ${pageSize} would end on page ${lastPage}, past the API's last page ${MAX_PAGE} (use a larger pageSize, an earlier startPage or fewer records)`,
      );
    }
  }

  return {
    ...(records === undefined ? {} : { records }),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(rate === undefined ? {} : { rate }),
    seed,
    ...(nat === undefined ? {} : { nat }),
    encoding,
    startPage,
    pageSize,
  };
}
