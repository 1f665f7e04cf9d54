// Types for mock-api.mjs, the randomuser.me API 1.4 mock (see README.md).

/** A user exactly as the mock (and the real API 1.4) serves it, all fields included. */
export interface MockUser {
  gender: 'male' | 'female';
  name: { title: string; first: string; last: string };
  location: {
    street: { number: number; name: string };
    city: string;
    state: string;
    country: string;
    /** A number for most nationalities, a string for CA, GB and NL. */
    postcode: number | string;
    coordinates: { latitude: string; longitude: string };
    timezone: { offset: string; description: string };
  };
  email: string;
  login: { uuid: string; username: string; password: string; salt: string; md5: string; sha1: string; sha256: string };
  dob: { date: string; age: number };
  registered: { date: string; age: number };
  phone: string;
  cell: string;
  id: { name: string; value: string | null };
  picture: { large: string; medium: string; thumbnail: string };
  nat: string;
}

/** A response body: `results` holds only the included fields (`inc`/`exc`). */
export interface MockPage {
  results: Array<Partial<MockUser>>;
  info: { seed: string; results: number; page: number; version: string };
}

/** Request parameters as the API takes them (strings or typed values). */
export interface MockPageParams {
  seed?: string | number;
  page?: number | string;
  results?: number | string;
  /** One code, a comma list or a list; case-insensitive. Any unknown code means "all nationalities". */
  nat?: string | string[];
  inc?: string | string[];
  exc?: string | string[];
  /** Honoured only without a seed, like the real API. */
  gender?: 'male' | 'female';
}

/** Answer kinds that can be forced (`sequence`, `?_fault=`, `x-mock-fault`). */
export type MockOutcome = 'ok' | '429' | '500' | '502' | '503' | 'reset' | 'malformed' | 'truncated' | 'error-body';
/** How a broken record is broken. */
export type BadRecordKind = 'missing-uuid' | 'invalid-uuid' | 'location-string' | 'email-number' | 'missing-name' | 'null-login';

/** Fault settings of a server. Rates are shares of requests in [0, 1]; their sum is at most 1 (slowness is drawn apart). */
export interface MockFaults {
  /** Makes every decision a hash of the request and this seed: reproducible faults and broken records. */
  faultSeed?: string | number;
  rate429?: number;
  /** `Retry-After` sent with 429, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** `seconds` (default) or `http-date`. */
  retryAfterFormat?: 'seconds' | 'http-date';
  rate5xx?: number;
  /** Statuses for `rate5xx`. Default [500, 502, 503]. */
  statuses5xx?: number[];
  /** Connection destroyed without an answer. */
  rateReset?: number;
  /** HTTP 200 with an HTML body. */
  rateMalformed?: number;
  /** HTTP 200 with a prefix (5-95 %) of the real JSON body, Content-Length matching the prefix. */
  rateTruncated?: number;
  /** The real API's `{"error": "Uh oh, something has gone wrong. Please tell us on GitHub."}`. */
  rateErrorBody?: number;
  /** Status of the error body. Default 200 (the hard case: only the body tells). */
  errorBodyStatus?: number;
  /** Share of requests answered after `slowMs`. */
  rateSlow?: number;
  /** Default 1000. */
  slowMs?: number;
  /** Share of the records of every successful page served broken. */
  badRecords?: number;
  badRecordKinds?: BadRecordKind[];
  /** Answers forced in arrival order before the rates apply, e.g. `['429', 'slow,503', 'ok']`. */
  sequence?: Array<string | MockFaultSpec>;
}

/** One broken record the server served. `uuid` is the id it had before it was broken. */
export interface MockInvalidUser {
  seed: string;
  nat: string | null;
  page: number;
  index: number;
  uuid: string;
  kind: BadRecordKind;
}

export interface MockStats {
  /** API requests received (admin endpoints excluded). */
  requests: number;
  /** Answers by HTTP status; `reset` counts destroyed connections. */
  byStatus: Record<string, number>;
  /** Answers by kind (`ok`, `429`, ..., plus `slow`). */
  byOutcome: Record<string, number>;
  /** Complete JSON pages served (HTTP 200, not broken). */
  pagesServed: number;
  /** Users in those pages, broken ones included. */
  usersServed: number;
  /** Broken users served, repeats included. */
  invalidUsersServed: number;
  /** Distinct broken users served, by seed, page, index. */
  invalidUsers: MockInvalidUser[];
}

export interface MockApiOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  faults?: MockFaults;
}

export interface MockApi {
  /** e.g. `http://127.0.0.1:41234/api/` */
  url: string;
  port: number;
  host: string;
  server: import('node:http').Server;
  /** Stops listening and destroys open connections and pending slow answers. */
  close(): Promise<void>;
  /** Replaces the fault settings (and forgets attempt counts and the remaining sequence). Throws TypeError on bad settings. */
  setFaults(faults: MockFaults): void;
  /** The current settings; `sequence` holds the forced answers not yet used. */
  faults(): NormalizedMockFaults;
  stats(): MockStats;
  resetStats(): void;
}

export function startMockApi(options?: MockApiOptions): Promise<MockApi>;
/** The user at `index` (0-based) of `page` for `seed` and nationality filter `nat`; deterministic. */
export function generateUser(seed: string | number, page: number, index: number, nat?: string | string[]): MockUser;
/** `generateUser(...).login.uuid`. */
export function userUuid(seed: string | number, page: number, index: number, nat?: string | string[]): string;
/** A whole response body, parameters normalised as the real API does (see README). */
export function generatePage(params?: MockPageParams): MockPage;
export function normalizeParams(params?: MockPageParams): {
  seed: string;
  page: number;
  results: number;
  nats: string[] | null;
  fields: string[];
  gender: 'male' | 'female' | undefined;
};
/** A forced answer, parsed from `'slow,503'` and the like. */
export interface MockFaultSpec {
  outcome: MockOutcome;
  slow: boolean;
  badRecords: boolean;
}

/** Fault settings with every default filled in. */
export type NormalizedMockFaults = Required<Omit<MockFaults, 'faultSeed' | 'sequence'>> & { faultSeed?: string; sequence: MockFaultSpec[] };

/** Checks and completes fault settings; throws TypeError naming a bad one. */
export function normalizeFaults(faults?: MockFaults): NormalizedMockFaults;
/** Fault settings from `MOCK_FAULT_*` variables (see README); throws TypeError naming a bad variable. */
export function faultsFromEnv(env: Record<string, string | undefined>): NormalizedMockFaults;

export const API_VERSION: '1.4';
export const AGE_REFERENCE: string;
export const FIELDS: readonly string[];
export const NATS: readonly string[];
export const MAX_RESULTS: 5000;
export const MAX_PAGE: 10000;
export const ERROR_MESSAGE: string;
export const OUTCOMES: readonly MockOutcome[];
export const BAD_RECORD_KINDS: readonly BadRecordKind[];
