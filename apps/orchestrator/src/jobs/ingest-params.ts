import { checkRunRequest, InvalidRunParamsError, type RunRequest } from '@userstream/ingest-contract';
import { ParamsError } from './job.definition';

/**
 * Checks trigger parameters for an ingest run (the API's and the dashboard
 * form's) and merges them over `defaults`. A key set to `null` removes its
 * default (e.g. `{ "durationSeconds": null, "records": 1000 }` runs by count
 * only). The merged request goes through ingest's own validator
 * (`@userstream/ingest-contract`), so what ingest would refuse is refused
 * here at once; only what depends on ingest's configuration (a Schema
 * Registry for `confluent`, its default page size) is left to ingest.
 *
 * @throws ParamsError `params: <what ingest would say>`.
 */
export function resolveIngestParams(input: unknown, defaults: RunRequest): RunRequest {
  if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) throw new ParamsError('params: must be a JSON object');
  const merged: Record<string, unknown> = { ...defaults };
  // Own keys only, and copied onto a plain object one by one: `__proto__` in a JSON body stays a key the validator refuses.
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === null) delete merged[key];
    else Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
  }
  try {
    return checkRunRequest(merged);
  } catch (error) {
    if (error instanceof InvalidRunParamsError) throw new ParamsError(`params: ${error.message}`);
    throw error;
  }
}
