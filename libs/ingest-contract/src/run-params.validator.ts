import { randomBytes } from 'node:crypto';
import { UserstreamError } from '@userstream/core';
import { MAX_PAGE, MAX_RESULTS_PER_PAGE, NATIONALITIES } from '@userstream/randomuser-client';
import { INGEST_ENCODINGS, type IngestEncoding, type RunParams, type RunRequest } from './run-params.types';

/**
 * The limits of one run's parameters.
 * - `records`: an integer from 1 to 10 000 000.
 * - `durationSeconds`: above 0, at most a day.
 * - `rate`: 0.001 to 1 000 000 records per second. Slower than one record per
 *   1000 s is a mistake, and its waits would pass what a Node timer holds;
 *   faster than a million is more than one ingest produces, so a typo.
 * - `seed`: 1 to 128 letters, digits, `_`, `-` or `.`: it goes into API URLs,
 *   logs and the dashboard, and the random seeds ingest makes are 16 hex digits.
 * - `startPage`, `pageSize`: the API's own bounds (10 000 pages of a seed, 5000 users a page).
 */
export const RUN_LIMITS = {
  maxRecords: 10_000_000,
  maxDurationSeconds: 86_400,
  minRate: 0.001,
  maxRate: 1_000_000,
  maxSeedLength: 128,
  maxPage: MAX_PAGE,
  maxPageSize: MAX_RESULTS_PER_PAGE,
} as const;

/** The names `POST /runs` accepts, in the order the messages list them. */
export const RUN_PARAM_NAMES = ['records', 'durationSeconds', 'rate', 'seed', 'nat', 'encoding', 'startPage', 'pageSize'] as const;

const SEED = /^[A-Za-z0-9_.-]+$/;

/** Run parameters were refused; `message` names the parameter and why. Ingest answers it with HTTP 400. */
export class InvalidRunParamsError extends UserstreamError {
  constructor(message: string) {
    super(message, { code: 'RUN_PARAMS_INVALID', retriable: false });
  }
}

/**
 * What the defaults of a run and two of its checks depend on: the ingest
 * deployment's configuration.
 */
export interface RunDeployment {
  /** INGEST_ENCODING. */
  encoding: IngestEncoding;
  /** INGEST_PAGE_SIZE. */
  pageSize: number;
  /** Whether a Schema Registry is configured (the `confluent` encoding needs one). */
  schemaRegistry: boolean;
}

/** A random 16-hex-digit seed, like the ones randomuser.me picks. */
export function randomSeed(): string {
  return randomBytes(8).toString('hex');
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

function number(body: Record<string, unknown>, name: string, min: number, max: number, wording: string): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value <= 0 || value > max) {
    throw new InvalidRunParamsError(`${name} must be ${wording} (got ${describe(value)})`);
  }
  return value;
}

/**
 * Checks a `POST /runs` body, the one validator of run parameters: ingest's
 * HTTP API and command line, and the orchestrator's trigger API, form and
 * ingest client all call it. Returns the request normalised (`nat` upper
 * case, in the order given, without repeats) without defaults.
 *
 * Two checks need the ingest deployment and run only when `deployment` is
 * given: `encoding: confluent` needs a Schema Registry, and a records-bounded
 * run must end by the API's page 10 000 with the default page size. Without
 * it, the page check uses the request's own `pageSize` when it has one.
 *
 * @throws InvalidRunParamsError naming the first bad parameter and why.
 * @example
 * ```ts
 * checkRunRequest({ records: 1000, nat: 'gb, us' }); // { records: 1000, nat: 'GB,US' }
 * ```
 */
export function checkRunRequest(body: unknown, deployment?: RunDeployment): RunRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRunParamsError(`the body must be a JSON object (got ${describe(body)})`);
  }
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).filter((key) => !(RUN_PARAM_NAMES as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new InvalidRunParamsError(
      `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${RUN_PARAM_NAMES.join(', ')})`,
    );
  }

  const records = integer(input, 'records', 1, RUN_LIMITS.maxRecords);
  const durationSeconds = number(
    input,
    'durationSeconds',
    0,
    RUN_LIMITS.maxDurationSeconds,
    `a number greater than 0 and at most ${RUN_LIMITS.maxDurationSeconds}`,
  );
  if (records === undefined && durationSeconds === undefined) {
    throw new InvalidRunParamsError('records or durationSeconds is required: a run needs a bound (a record count, a duration, or both)');
  }
  const rate = number(
    input,
    'rate',
    RUN_LIMITS.minRate,
    RUN_LIMITS.maxRate,
    `a number of records per second from ${RUN_LIMITS.minRate} to ${RUN_LIMITS.maxRate}`,
  );

  let seed: string | undefined;
  if (input['seed'] !== undefined) {
    const value = input['seed'];
    if (typeof value !== 'string' || value.length > RUN_LIMITS.maxSeedLength || !SEED.test(value)) {
      throw new InvalidRunParamsError(`seed must be 1 to ${RUN_LIMITS.maxSeedLength} letters, digits, '_', '-' or '.' (got ${describe(value)})`);
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
    if (bad !== undefined) throw new InvalidRunParamsError(`nat: unknown nationality ${describe(bad)} (known: ${NATIONALITIES.join(', ')})`);
    nat = [...new Set(codes)].join(',');
  }

  let encoding: IngestEncoding | undefined;
  if (input['encoding'] !== undefined) {
    const value = input['encoding'];
    if (typeof value !== 'string' || !(INGEST_ENCODINGS as readonly string[]).includes(value)) {
      throw new InvalidRunParamsError(`encoding must be one of ${INGEST_ENCODINGS.join(', ')} (got ${describe(value)})`);
    }
    encoding = value as IngestEncoding;
  }
  if (deployment && (encoding ?? deployment.encoding) === 'confluent' && !deployment.schemaRegistry) {
    throw new InvalidRunParamsError('encoding confluent needs a Schema Registry, and SCHEMA_REGISTRY_URL is not set (use avro or json)');
  }

  const startPage = integer(input, 'startPage', 1, RUN_LIMITS.maxPage);
  const pageSize = integer(input, 'pageSize', 1, RUN_LIMITS.maxPageSize);
  const effectivePageSize = pageSize ?? deployment?.pageSize;
  if (records !== undefined && effectivePageSize !== undefined) {
    const first = startPage ?? 1;
    const lastPage = first + Math.ceil(records / effectivePageSize) - 1;
    if (lastPage > RUN_LIMITS.maxPage) {
      throw new InvalidRunParamsError(
        `records: ${records} users from page ${first} in pages of ${effectivePageSize} would end on page ${lastPage}, past the API's last page ${RUN_LIMITS.maxPage} (use a larger pageSize, an earlier startPage or fewer records)`,
      );
    }
  }

  return {
    ...(records === undefined ? {} : { records }),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(rate === undefined ? {} : { rate }),
    ...(seed === undefined ? {} : { seed }),
    ...(nat === undefined ? {} : { nat }),
    ...(encoding === undefined ? {} : { encoding }),
    ...(startPage === undefined ? {} : { startPage }),
    ...(pageSize === undefined ? {} : { pageSize }),
  };
}

/**
 * Checks a `POST /runs` body with {@link checkRunRequest} against the
 * deployment and resolves the defaults: a random seed, the configured
 * encoding and page size, page 1.
 *
 * @throws InvalidRunParamsError naming the first bad parameter and why.
 */
export function resolveRunParams(body: unknown, deployment: RunDeployment): RunParams {
  const request = checkRunRequest(body, deployment);
  const { records, durationSeconds, rate, nat } = request;
  return {
    ...(records === undefined ? {} : { records }),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(rate === undefined ? {} : { rate }),
    seed: request.seed ?? randomSeed(),
    ...(nat === undefined ? {} : { nat }),
    encoding: request.encoding ?? deployment.encoding,
    startPage: request.startPage ?? 1,
    pageSize: request.pageSize ?? deployment.pageSize,
  };
}
