import { ConfigError } from '@userstream/core';
import { InvalidRecordError, type RecordProblem } from './record.errors';
import { V1_FIELDS, type UserRecord, type UserRecordV1, type UserRecordV2 } from './record.types';

/** Options of {@link fromRandomUser}. */
export interface FromRandomUserOptions {
  /** When the result was fetched, in milliseconds since the epoch. Default 0 ("unknown"). */
  ingestedAt?: number;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * True when `value` is a UUID string in the 8-4-4-4-12 hex form (any version, any case).
 *
 * @example
 * ```ts
 * isUuid('7a0eed16-9430-4d68-901f-c0d4c1c3bf00'); // true
 * ```
 */
export function isUuid(value: unknown): boolean {
  return typeof value === 'string' && value.length === 36 && UUID_RE.test(value);
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Walks a dotted path; `undefined` when any step is missing or not an object. */
function at(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const key of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

type Kind = 'string' | 'uuid' | 'string-or-number';

// The v1 sources, in the order problems are reported.
const REQUIRED: readonly (readonly [path: string, kind: Kind])[] = [
  ['login.uuid', 'uuid'],
  ['name.first', 'string'],
  ['name.last', 'string'],
  ['gender', 'string'],
  ['location.street.number', 'string-or-number'],
  ['location.street.name', 'string'],
  ['location.city', 'string'],
  ['location.state', 'string'],
  ['location.country', 'string'],
  ['location.postcode', 'string-or-number'],
  ['email', 'string'],
  ['login.username', 'string'],
  ['dob.date', 'string'],
  ['registered.date', 'string'],
  ['phone', 'string'],
  ['picture.large', 'string'],
];

/** The randomuser.me paths {@link fromRandomUser} requires, in the order it reports them. */
export const REQUIRED_RANDOMUSER_PATHS: readonly string[] = REQUIRED.map(([path]) => path);

function check(value: unknown, kind: Kind): string | undefined {
  if (value === undefined) return 'missing';
  switch (kind) {
    case 'uuid':
      return isUuid(value) ? undefined : typeof value === 'string' ? 'expected a UUID string' : `expected a UUID string, got ${kindOf(value)}`;
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${kindOf(value)}`;
    case 'string-or-number':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
        ? undefined
        : `expected a string or number, got ${kindOf(value)}`;
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

// Optional (v2) sources are lenient: a missing or mistyped value becomes the
// schema default instead of failing a record whose v1 fields are fine.
function optString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

function optDouble(value: unknown): number | null {
  // The API sends coordinates as strings ("-69.8246").
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function optInt(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff ? n : null;
}

/**
 * Maps one randomuser.me (API 1.4) result to a v2 record.
 *
 * - `id` is `login.uuid`, so fetching the same user twice gives the same id.
 * - `address` is `"<street number> <street name>, <city>, <state>, <country>"`.
 * - `postcode` is always a string (the API gives numbers for some countries).
 * - `dob`, `registered_date` keep the API's ISO-8601 strings; `picture` is `picture.large`.
 * - v2-only fields come from `name.title`, `nat`, `cell`, `location.*`,
 *   `location.coordinates.*` (numeric strings parsed), `location.timezone.*`,
 *   `dob.age`, `picture.medium|thumbnail`; a missing or mistyped one gets its
 *   schema default (`""` or `null`). Unknown extra fields are ignored.
 *
 * @param result one element of the API's `results` array.
 * @param options `ingestedAt` in ms since the epoch (default 0 = unknown).
 * @throws InvalidRecordError (`RECORD_INVALID`) naming every required path that is
 *   missing or mistyped: see {@link REQUIRED_RANDOMUSER_PATHS}.
 * @throws ConfigError when `ingestedAt` is not a non-negative safe integer.
 * @example
 * ```ts
 * const { results } = await client.fetchPage();
 * const records = results.map((r) => fromRandomUser(r, { ingestedAt: Date.now() }));
 * ```
 */
export function fromRandomUser(result: unknown, options: FromRandomUserOptions = {}): UserRecordV2 {
  const ingestedAt = options.ingestedAt ?? 0;
  if (!Number.isSafeInteger(ingestedAt) || ingestedAt < 0) {
    throw new ConfigError(`fromRandomUser: ingestedAt must be a non-negative integer of milliseconds (got ${String(ingestedAt)})`);
  }
  if (!isObj(result)) {
    throw new InvalidRecordError(
      `invalid randomuser result (expected an object, got ${kindOf(result)})`,
      REQUIRED.map(([path]) => ({ path, reason: 'missing' })),
    );
  }
  const problems: RecordProblem[] = [];
  const v: Record<string, unknown> = {};
  for (const [path, kind] of REQUIRED) {
    const value = at(result, path);
    const reason = check(value, kind);
    if (reason) problems.push({ path, reason });
    else v[path] = value;
  }
  if (problems.length > 0) throw new InvalidRecordError('invalid randomuser result', problems);

  const city = v['location.city'] as string;
  const state = v['location.state'] as string;
  const country = v['location.country'] as string;
  return {
    id: v['login.uuid'] as string,
    first_name: v['name.first'] as string,
    last_name: v['name.last'] as string,
    gender: v['gender'] as string,
    address: `${asText(v['location.street.number'])} ${v['location.street.name'] as string}, ${city}, ${state}, ${country}`,
    postcode: asText(v['location.postcode']),
    email: v['email'] as string,
    username: v['login.username'] as string,
    dob: v['dob.date'] as string,
    registered_date: v['registered.date'] as string,
    phone: v['phone'] as string,
    picture: v['picture.large'] as string,
    title: optString(at(result, 'name.title')),
    nationality: optString(result['nat']),
    cell: optString(result['cell']),
    city,
    state,
    country,
    latitude: optDouble(at(result, 'location.coordinates.latitude')),
    longitude: optDouble(at(result, 'location.coordinates.longitude')),
    timezone_offset: optString(at(result, 'location.timezone.offset')),
    timezone_description: optString(at(result, 'location.timezone.description')),
    age: optInt(at(result, 'dob.age')),
    picture_medium: optString(at(result, 'picture.medium')),
    picture_thumbnail: optString(at(result, 'picture.thumbnail')),
    ingested_at: ingestedAt,
  };
}

/**
 * Projects any record version to the twelve v1 fields, in schema order (a new
 * object; extra fields dropped).
 *
 * @example
 * ```ts
 * const v1 = toV1(fromRandomUser(result)); // what the reference pipeline stored
 * ```
 */
export function toV1(record: UserRecord): UserRecordV1 {
  const out = {} as Record<(typeof V1_FIELDS)[number], string>;
  for (const f of V1_FIELDS) out[f] = record[f];
  return out;
}

/** The v2 defaults of the fields v2 adds (what a v1 record reads as under the v2 schema). */
export const V2_DEFAULTS: Readonly<Omit<UserRecordV2, keyof UserRecordV1>> = Object.freeze({
  title: '',
  nationality: '',
  cell: '',
  city: '',
  state: '',
  country: '',
  latitude: null,
  longitude: null,
  timezone_offset: '',
  timezone_description: '',
  age: null,
  picture_medium: '',
  picture_thumbnail: '',
  ingested_at: 0,
});

/**
 * Completes a v1 record with the v2 defaults (a new object, fields in schema
 * order). A v2 record is copied as is.
 *
 * @example
 * ```ts
 * toV2(v1Record).latitude; // null
 * ```
 */
export function toV2(record: UserRecord): UserRecordV2 {
  const out = toV1(record) as UserRecordV2;
  const src = record as Partial<UserRecordV2>;
  for (const key of Object.keys(V2_DEFAULTS) as (keyof typeof V2_DEFAULTS)[]) {
    (out as unknown as Record<string, unknown>)[key] = src[key] === undefined ? V2_DEFAULTS[key] : src[key];
  }
  return out;
}
