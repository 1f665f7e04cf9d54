/** Wire encodings an ingest run can produce. */
export const INGEST_ENCODINGS = ['avro', 'confluent', 'json'] as const;

/** One of {@link INGEST_ENCODINGS}. */
export type IngestEncoding = (typeof INGEST_ENCODINGS)[number];

/**
 * The body of `POST /runs`: every field optional, at least one bound
 * (`records` or `durationSeconds`) required. The limits are in {@link RUN_LIMITS}.
 */
export interface RunRequest {
  /** Stop after this many users were fetched from the API (valid and invalid). */
  records?: number;
  /** Stop after this many seconds of streaming (counted from the first fetch). */
  durationSeconds?: number;
  /** Target produce rate, records per second. Unset: as fast as the API and Kafka go. */
  rate?: number;
  /** randomuser.me seed: the same seed, page size and pages give the same users. Unset: a random one. */
  seed?: string;
  /** Nationality filter, a comma list of codes (`gb,US`); normalised to upper case without repeats. */
  nat?: string;
  /** Unset: ingest's configured encoding. */
  encoding?: IngestEncoding;
  /** First API page of the seed (1-based). Default 1. */
  startPage?: number;
  /** Users per API request. Unset: ingest's configured page size. */
  pageSize?: number;
}

/**
 * The parameters of a run, as ingest resolved them (defaults applied, a
 * generated seed filled in). Sending them back as `POST /runs` replays the
 * same users.
 */
export interface RunParams extends RunRequest {
  seed: string;
  encoding: IngestEncoding;
  startPage: number;
  pageSize: number;
}
