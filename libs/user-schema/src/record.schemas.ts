import { Type, type Schema } from 'avsc';
import { fingerprintToBytes, fingerprintToHex, parsingCanonicalForm, crc64Avro } from './fingerprint.util';

/** The schema versions this package ships. */
export type SchemaVersion = 1 | 2;

/** The newest bundled schema version, the default for writing and reading. */
export const LATEST_SCHEMA_VERSION = 2 as const satisfies SchemaVersion;

/** One field of a bundled Avro record schema, as JSON. */
export interface AvroFieldJson {
  readonly name: string;
  readonly type: string | readonly string[];
  readonly doc?: string;
  readonly default?: string | number | null;
}

/** A bundled Avro record schema, as JSON (what a Schema Registry stores). */
export interface AvroRecordSchemaJson {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly doc?: string;
  readonly fields: readonly AvroFieldJson[];
}

/** The record's full name; stable across versions so that readers resolve every version. */
export const USER_SCHEMA_NAME = 'io.userstream.User';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const v1Fields: readonly AvroFieldJson[] = [
  { name: 'id', type: 'string', doc: 'UUID, the API login.uuid; also the Kafka key and the Cassandra primary key' },
  { name: 'first_name', type: 'string' },
  { name: 'last_name', type: 'string' },
  { name: 'gender', type: 'string' },
  { name: 'address', type: 'string', doc: '"<street number> <street name>, <city>, <state>, <country>"' },
  { name: 'postcode', type: 'string', doc: 'Always a string; the API returns numbers for some countries' },
  { name: 'email', type: 'string' },
  { name: 'username', type: 'string' },
  { name: 'dob', type: 'string', doc: 'ISO-8601 date of birth as the API gives it' },
  { name: 'registered_date', type: 'string', doc: 'ISO-8601 registration date as the API gives it' },
  { name: 'phone', type: 'string' },
  { name: 'picture', type: 'string', doc: 'URL of the large picture' },
];

/**
 * Schema v1 as JSON: exactly the reference pipeline's twelve string fields,
 * record `io.userstream.User`. Frozen. Register it with a Schema Registry as is
 * (`JSON.stringify(userSchemaV1Json)`).
 */
export const userSchemaV1Json: AvroRecordSchemaJson = deepFreeze({
  type: 'record',
  name: 'User',
  namespace: 'io.userstream',
  doc: 'A randomuser.me user as the reference pipeline stored it (schema v1)',
  fields: v1Fields,
});

/**
 * Schema v2 as JSON: v1 plus fields with defaults (strings `""`, `latitude`,
 * `longitude` and `age` nullable with default `null`, `ingested_at` a long
 * with default 0), so v1 data reads as v2 and v2 data reads as v1. Frozen.
 */
export const userSchemaV2Json: AvroRecordSchemaJson = deepFreeze({
  type: 'record',
  name: 'User',
  namespace: 'io.userstream',
  doc: 'A randomuser.me user (schema v2: v1 plus fields with defaults)',
  fields: [
    ...v1Fields,
    { name: 'title', type: 'string', default: '' },
    { name: 'nationality', type: 'string', default: '', doc: 'Two-letter nationality code (API nat)' },
    { name: 'cell', type: 'string', default: '' },
    { name: 'city', type: 'string', default: '' },
    { name: 'state', type: 'string', default: '' },
    { name: 'country', type: 'string', default: '' },
    { name: 'latitude', type: ['null', 'double'], default: null },
    { name: 'longitude', type: ['null', 'double'], default: null },
    { name: 'timezone_offset', type: 'string', default: '', doc: 'e.g. "+9:30"' },
    { name: 'timezone_description', type: 'string', default: '' },
    { name: 'age', type: ['null', 'int'], default: null },
    { name: 'picture_medium', type: 'string', default: '' },
    { name: 'picture_thumbnail', type: 'string', default: '' },
    { name: 'ingested_at', type: 'long', default: 0, doc: 'Milliseconds since the epoch when ingest fetched the record; 0 when unknown' },
  ],
});

/**
 * Parses an Avro schema (JSON text or object) into an avsc Type the way the
 * codecs do: records decode to plain-field objects without methods, and
 * `["null", X]` unions to `X | null`. Each call builds a new type.
 *
 * @throws Error when the schema is not valid Avro.
 * @example
 * ```ts
 * const type = parseUserSchema(registrySchemaText);
 * ```
 */
export function parseUserSchema(schema: string | object): Type {
  const parsed = typeof schema === 'string' ? JSON.parse(schema) : schema;
  return Type.forSchema(parsed as Schema, { omitRecordMethods: true, wrapUnions: false });
}

/**
 * An avsc Type for schema v1 (see {@link parseUserSchema} for the value shape).
 *
 * @example
 * ```ts
 * userSchemaV1.isValid(toV1(record)); // true
 * ```
 */
export const userSchemaV1: Type = parseUserSchema(userSchemaV1Json);

/**
 * An avsc Type for schema v2. Prefer `UserCodec` for framed values; the
 * type alone writes and reads bare Avro binary.
 *
 * @example
 * ```ts
 * const body = userSchemaV2.toBuffer(record);
 * ```
 */
export const userSchemaV2: Type = parseUserSchema(userSchemaV2Json);

/** Everything known about one bundled schema version. */
export interface UserSchemaInfo {
  readonly version: SchemaVersion;
  /** The schema JSON (with docs and defaults). */
  readonly json: AvroRecordSchemaJson;
  /** The avsc Type. */
  readonly type: Type;
  /** The Avro Parsing Canonical Form. */
  readonly canonicalForm: string;
  /** CRC-64-AVRO of the canonical form, unsigned. */
  readonly fingerprint: bigint;
  /** `fingerprint` as 16 lowercase hex digits. */
  readonly fingerprintHex: string;
  /** `fingerprint` as the 8 little-endian bytes of a single-object header. Do not mutate. */
  readonly fingerprintBytes: Buffer;
}

function describe(version: SchemaVersion, json: AvroRecordSchemaJson, type: Type): UserSchemaInfo {
  const canonicalForm = parsingCanonicalForm(type);
  const fingerprint = crc64Avro(canonicalForm);
  return Object.freeze({
    version,
    json,
    type,
    canonicalForm,
    fingerprint,
    fingerprintHex: fingerprintToHex(fingerprint),
    fingerprintBytes: fingerprintToBytes(fingerprint),
  });
}

/**
 * The bundled schemas, oldest first. Readers resolve single-object
 * fingerprints against these.
 *
 * @example
 * ```ts
 * for (const s of SCHEMA_VERSIONS) console.log(s.version, s.fingerprintHex);
 * ```
 */
export const SCHEMA_VERSIONS: readonly UserSchemaInfo[] = Object.freeze([
  describe(1, userSchemaV1Json, userSchemaV1),
  describe(2, userSchemaV2Json, userSchemaV2),
]);

/**
 * The bundled schema of a version.
 *
 * @throws RangeError for a version this package does not ship.
 */
export function getUserSchema(version: SchemaVersion): UserSchemaInfo {
  const info = SCHEMA_VERSIONS.find((s) => s.version === version);
  if (!info) throw new RangeError(`unknown user schema version ${String(version)} (known: ${SCHEMA_VERSIONS.map((s) => s.version).join(', ')})`);
  return info;
}

/**
 * Looks a bundled schema up by its CRC-64-AVRO fingerprint: the unsigned value
 * (bigint), its 16-digit hex form, or the 8 little-endian header bytes.
 * Returns `undefined` when no bundled schema has that fingerprint.
 *
 * @example
 * ```ts
 * findSchemaByFingerprint(value.subarray(2, 10))?.version; // for a single-object encoded value
 * ```
 */
export function findSchemaByFingerprint(fingerprint: bigint | string | Uint8Array): UserSchemaInfo | undefined {
  let value: bigint;
  if (typeof fingerprint === 'bigint') {
    value = BigInt.asUintN(64, fingerprint);
  } else if (typeof fingerprint === 'string') {
    if (!/^[0-9a-fA-F]{16}$/.test(fingerprint)) return undefined;
    value = BigInt(`0x${fingerprint}`);
  } else {
    if (fingerprint.length !== 8) return undefined;
    value = Buffer.from(fingerprint.buffer, fingerprint.byteOffset, 8).readBigUInt64LE(0);
  }
  return SCHEMA_VERSIONS.find((s) => s.fingerprint === value);
}
