/**
 * Schema v1: exactly the twelve fields the reference pipeline wrote, all
 * strings. `id` is the API's `login.uuid`.
 */
export interface UserRecordV1 {
  id: string;
  first_name: string;
  last_name: string;
  gender: string;
  /** `"<street number> <street name>, <city>, <state>, <country>"` */
  address: string;
  /** Always a string, although the API returns numbers for some countries. */
  postcode: string;
  email: string;
  username: string;
  /** The API's ISO-8601 date of birth, unchanged. */
  dob: string;
  /** The API's ISO-8601 registration date, unchanged. */
  registered_date: string;
  phone: string;
  /** URL of the large picture. */
  picture: string;
}

/**
 * Schema v2: v1 plus fields users asked for. Every added field has a default
 * in the Avro schema, so v1 data reads as v2 (defaults filled in) and v2 data
 * reads as v1 (extra fields skipped).
 */
export interface UserRecordV2 extends UserRecordV1 {
  title: string;
  /** Two-letter nationality code from the API (`nat`), e.g. `"GB"`. */
  nationality: string;
  cell: string;
  city: string;
  state: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  /** e.g. `"+9:30"` */
  timezone_offset: string;
  timezone_description: string;
  age: number | null;
  picture_medium: string;
  picture_thumbnail: string;
  /** Milliseconds since the epoch when ingest fetched the record; 0 when unknown. */
  ingested_at: number;
}

/** Any record version userstream reads or writes. */
export type UserRecord = UserRecordV1 | UserRecordV2;

/** The twelve v1 field names, in schema order. */
export const V1_FIELDS = [
  'id',
  'first_name',
  'last_name',
  'gender',
  'address',
  'postcode',
  'email',
  'username',
  'dob',
  'registered_date',
  'phone',
  'picture',
] as const satisfies readonly (keyof UserRecordV1)[];

/** The v2 field names, in schema order: the twelve v1 fields, then the fields v2 adds. */
export const V2_FIELDS = [
  ...V1_FIELDS,
  'title',
  'nationality',
  'cell',
  'city',
  'state',
  'country',
  'latitude',
  'longitude',
  'timezone_offset',
  'timezone_description',
  'age',
  'picture_medium',
  'picture_thumbnail',
  'ingested_at',
] as const satisfies readonly (keyof UserRecordV2)[];
