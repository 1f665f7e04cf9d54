/**
 * `@userstream/ingest-contract`: what the ingest app and its clients agree
 * on. The run parameters and their one validator, the run status types, and
 * the HTTP paths of the run API.
 *
 * @packageDocumentation
 */
export { INGEST_ENCODINGS, type IngestEncoding, type RunParams, type RunRequest } from './run-params.types';
export { InvalidRunParamsError, RUN_LIMITS, RUN_PARAM_NAMES, checkRunRequest, randomSeed, resolveRunParams, type RunDeployment } from './run-params.validator';
export { isRunStatus, type RunCounts, type RunCursor, type RunErrorEntry, type RunOffsets, type RunState, type RunStatus } from './run-status.types';
export { INGEST_PATHS } from './ingest.paths';
