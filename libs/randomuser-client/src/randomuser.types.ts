/**
 * The nationalities randomuser.me API 1.4 serves, for the `nat` parameter.
 */
export const NATIONALITIES = [
  'AU',
  'BR',
  'CA',
  'CH',
  'DE',
  'DK',
  'ES',
  'FI',
  'FR',
  'GB',
  'IE',
  'IN',
  'IR',
  'MX',
  'NL',
  'NO',
  'NZ',
  'RS',
  'TR',
  'UA',
  'US',
] as const;

/** A nationality code of API 1.4, e.g. `'US'`. */
export type Nationality = (typeof NATIONALITIES)[number];

/** The result fields of API 1.4, for `inc` and `exc`, in the order the API writes them. */
export const RESULT_FIELDS = ['gender', 'name', 'location', 'email', 'login', 'dob', 'registered', 'phone', 'cell', 'id', 'picture', 'nat'] as const;

/** A result field name of API 1.4, e.g. `'login'`. */
export type ResultField = (typeof RESULT_FIELDS)[number];

/** Most users the API returns in one page (`results`). */
export const MAX_RESULTS_PER_PAGE = 5000;

/** Highest page the API serves; it answers larger pages with page 1. */
export const MAX_PAGE = 10_000;

/**
 * One user as randomuser.me API 1.4 documents it.
 *
 * The client checks the response envelope only: an individual record may
 * still lack fields or carry wrong types (validating records is the job of
 * `@userstream/user-schema`). Fields left out with `inc`/`exc` are absent.
 */
export interface RandomUserResult {
  gender: 'male' | 'female';
  name: { title: string; first: string; last: string };
  location: {
    street: { number: number; name: string };
    city: string;
    state: string;
    country: string;
    /** A number for most nationalities (US, DE, FR...), a string for some (GB, CA, NL). */
    postcode: number | string;
    /** Decimal degrees as strings, e.g. `"-69.8246"`. */
    coordinates: { latitude: string; longitude: string };
    /** `offset` like `"+9:30"` or `"-3:00"`. */
    timezone: { offset: string; description: string };
  };
  email: string;
  login: {
    /** A version 4 UUID; stable for a given seed, page and position. */
    uuid: string;
    username: string;
    password: string;
    salt: string;
    md5: string;
    sha1: string;
    sha256: string;
  };
  /** `date` is ISO-8601 with milliseconds, e.g. `"1992-03-08T15:13:16.688Z"`; `age` in years. */
  dob: { date: string; age: number };
  registered: { date: string; age: number };
  phone: string;
  cell: string;
  /** National id; `value` is `null` for some nationalities. */
  id: { name: string; value: string | null };
  /** Portrait URLs (128, 72 and 48 px). */
  picture: { large: string; medium: string; thumbnail: string };
  nat: string;
}

/** The `info` block of a response. */
export interface RandomUserInfo {
  /** The seed that reproduces this page (the one sent, or one the API chose). */
  seed: string;
  /** Number of results in the page. */
  results: number;
  page: number;
  /** API version, `"1.4"`. */
  version: string;
}

/** One response of the API: a page of users of one seed. */
export interface RandomUserPage {
  results: RandomUserResult[];
  info: RandomUserInfo;
}
