import { INGEST_ENCODINGS, type IngestRunParams } from '../ingest/ingest.client';
import { ParamsError } from './job.definition';

type Check = (value: unknown) => string | undefined;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

// The bounds are ingest's own (apps/ingest run-params.validator.ts), so a trigger ingest would refuse gets
// its 400 here, at once, instead of a run that fails on its first try.
const MAX_RECORDS = 10_000_000;
// One record per 1000 s at the slowest: a slower rate is a mistake, and its waits would pass what a Node timer holds.
const MIN_RATE = 0.001;

const CHECKS: Record<keyof IngestRunParams, Check> = {
  records: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_RECORDS ? undefined : `must be an integer from 1 to ${MAX_RECORDS}`),
  durationSeconds: (v) => (isNumber(v) && v > 0 && v <= 86_400 ? undefined : 'must be a number of seconds above 0 and at most 86400'),
  rate: (v) => (isNumber(v) && v >= MIN_RATE && v <= 1_000_000 ? undefined : `must be a number of records per second from ${MIN_RATE} to 1000000`),
  seed: (v) => (typeof v === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(v) ? undefined : 'must be 1-100 letters, digits, _ or -'),
  nat: (v) => (typeof v === 'string' && /^[A-Za-z]{2}(,[A-Za-z]{2})*$/.test(v) ? undefined : 'must be comma-separated two-letter nationality codes, e.g. us,gb'),
  encoding: (v) => (INGEST_ENCODINGS.includes(v as never) ? undefined : `must be one of ${INGEST_ENCODINGS.join(', ')}`),
};

/**
 * Checks trigger parameters for an ingest run and merges them over
 * `defaults`. A key set to `null` removes its default (e.g.
 * `{ "durationSeconds": null, "records": 1000 }` runs by count only). Throws
 * {@link ParamsError} naming the first bad key; unknown keys are refused so a
 * typo never goes unnoticed.
 */
export function resolveIngestParams(input: unknown, defaults: IngestRunParams): IngestRunParams {
  if (input === undefined || input === null) return { ...defaults };
  if (typeof input !== 'object' || Array.isArray(input)) throw new ParamsError('params: must be a JSON object');
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(input)) {
    // Own keys only: `key in CHECKS` would let inherited names such as `hasOwnProperty` or `__proto__` through.
    if (!Object.hasOwn(CHECKS, key)) throw new ParamsError(`params.${key}: unknown parameter (allowed: ${Object.keys(CHECKS).join(', ')})`);
    if (value === null) {
      delete out[key];
      continue;
    }
    const problem = CHECKS[key as keyof IngestRunParams](value);
    if (problem) throw new ParamsError(`params.${key}: ${problem} (got ${JSON.stringify(value)})`);
    out[key] = value;
  }
  if (out['records'] === undefined && out['durationSeconds'] === undefined) {
    throw new ParamsError('params: give records or durationSeconds, or the ingest run would never end');
  }
  return out as IngestRunParams;
}
