// Over 400 lines: the three wire encodings (Avro single-object, Confluent, JSON) and their reader/writer schema resolution, which share one cache.
import { ConfigError, describeError, isRetriable } from '@userstream/core';
import type { Resolver, Type } from 'avsc';
import { fingerprintToHex, schemaFingerprint } from './fingerprint.util';
import { isUuid } from './randomuser.mapper';
import { DecodeError, InvalidRecordError, UnknownSchemaIdError, type RecordProblem } from './record.errors';
import { LATEST_SCHEMA_VERSION, SCHEMA_VERSIONS, getUserSchema, parseUserSchema, type SchemaVersion } from './record.schemas';
import { V1_FIELDS, type UserRecord, type UserRecordV1, type UserRecordV2 } from './record.types';

/**
 * How a record is framed on the wire:
 * - `avro`: Avro single-object encoding (`0xC3 0x01`, 8-byte little-endian CRC-64-AVRO
 *   fingerprint of the writer schema, Avro binary body);
 * - `confluent`: Confluent wire format (`0x00`, 4-byte big-endian Schema Registry id, Avro binary body);
 * - `json`: the reference pipeline's JSON object of the twelve v1 string fields.
 */
export type WireEncoding = 'avro' | 'confluent' | 'json';

/** The record type a codec with reader version `V` returns. */
export type RecordForVersion<V extends SchemaVersion> = V extends 1 ? UserRecordV1 : UserRecordV2;

/** A schema as a Schema Registry returns it: JSON text or parsed JSON. */
export type AvroSchemaInput = string | object;

/** Options of {@link UserCodec}. */
export interface UserCodecOptions<V extends SchemaVersion = 2> {
  /**
   * The schema version records are decoded into: 2 (default) fills v2 fields
   * missing from older data with their defaults; 1 returns the twelve v1 fields.
   */
  readerVersion?: V;
  /**
   * Looks a Confluent schema id up (typically in a Schema Registry). Used by
   * `decodeAsync` for ids not cached yet; each id is resolved once, and
   * concurrent lookups of one id share one call. Without it, only ids given to
   * `registerSchemaId` decode.
   */
  resolveSchemaId?: (id: number) => Promise<AvroSchemaInput>;
}

/** Options of {@link UserCodec.encode}. */
export interface EncodeOptions {
  encoding: WireEncoding;
  /** The writer schema for `avro` and `confluent`. Default 2. `json` always writes the twelve v1 fields. */
  schemaVersion?: SchemaVersion;
  /** The Schema Registry id of the writer schema; required for `confluent`, ignored otherwise. */
  schemaId?: number;
}

/** A decoded value and what the bytes said about it. */
export interface DecodedUser<R extends UserRecord = UserRecordV2> {
  /** The record, in the codec's reader version. */
  record: R;
  /** The encoding detected from the leading bytes. */
  encoding: WireEncoding;
  /**
   * The bundled schema version the value was written with: from the
   * fingerprint (`avro`), from the resolved schema when it is a bundled one
   * (`confluent`; `undefined` for other schemas), 1 for `json`.
   */
  writerVersion: SchemaVersion | undefined;
  /** The Confluent schema id (`confluent` only). */
  schemaId: number | undefined;
  /** The writer schema's CRC-64-AVRO fingerprint as 16 hex digits (`avro` and `confluent`). */
  fingerprint: string | undefined;
}

interface WriterEntry {
  /** The type to decode with: the codec's reader, or a variant aliased to a foreign writer's name. */
  readonly reader: Type;
  /** `undefined` when writer and reader schemas are the same (no resolution needed). */
  readonly resolver: Resolver | undefined;
  readonly version: SchemaVersion | undefined;
  readonly fingerprint: bigint;
  readonly fingerprintHex: string;
}

interface BundledEntry extends WriterEntry {
  /** Low and high 32-bit halves of the little-endian fingerprint, compared without allocating. */
  readonly lo: number;
  readonly hi: number;
}

const SINGLE_OBJECT_HEADER = 10;
const CONFLUENT_HEADER = 5;
const MAX_SCHEMA_ID = 0x7fffffff;

// Resolvers are built once per process and reader version; the codec's hot path only looks them up.
const bundledCache = new Map<SchemaVersion, readonly BundledEntry[]>();

function bundledEntries(readerVersion: SchemaVersion): readonly BundledEntry[] {
  let entries = bundledCache.get(readerVersion);
  if (!entries) {
    const reader = getUserSchema(readerVersion).type;
    entries = SCHEMA_VERSIONS.map((s) => ({
      reader,
      resolver: s.version === readerVersion ? undefined : reader.createResolver(s.type),
      version: s.version,
      fingerprint: s.fingerprint,
      fingerprintHex: s.fingerprintHex,
      lo: s.fingerprintBytes.readUInt32LE(0),
      hi: s.fingerprintBytes.readUInt32LE(4),
    }));
    bundledCache.set(readerVersion, entries);
  }
  return entries;
}

function unqualified(name: string | undefined): string {
  return name === undefined ? '' : name.slice(name.lastIndexOf('.') + 1);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// Python's json.dumps (ensure_ascii, ", " and ": " separators) is what the
// reference producer sent; writing the same bytes keeps JSON mode byte-compatible.
const NON_ASCII_RE = /[^\x20-\x7e]/g;

function escapeNonAscii(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function pyJsonString(value: string): string {
  return JSON.stringify(value).replace(NON_ASCII_RE, escapeNonAscii);
}

const JSON_KEYS = V1_FIELDS.map((f, i) => `${i === 0 ? '{' : ', '}${JSON.stringify(f)}: `);

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function checkSchemaId(id: unknown, what: string): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_SCHEMA_ID) {
    throw new ConfigError(`${what}: schemaId must be an integer from 0 to ${MAX_SCHEMA_ID} (got ${String(id)})`);
  }
  return id;
}

/**
 * Encodes and decodes user records in the three wire encodings. Decoding
 * detects the encoding from the leading bytes, resolves the writer schema
 * (single-object fingerprints against the bundled schemas; Confluent ids from
 * the codec's cache or `resolveSchemaId`) and reads with the reader version's
 * schema, so v1 data reads as v2 (defaults filled) and v2 data reads as v1.
 *
 * One instance per process is enough; it caches resolvers and reuses one
 * scratch buffer for encoding (it is not meant to be shared across worker threads).
 *
 * @example
 * ```ts
 * const codec = new UserCodec();
 * const value = codec.encode(record, { encoding: 'avro' });
 * const { record: back, writerVersion } = codec.decode(value);
 * ```
 */
export class UserCodec<V extends SchemaVersion = 2> {
  /** The schema version decoded records have. */
  readonly readerVersion: V;
  private readonly readerType: Type;
  private readonly bundled: readonly BundledEntry[];
  private readonly resolveSchemaId: ((id: number) => Promise<AvroSchemaInput>) | undefined;
  /** Confluent id -> writer, or the DecodeError that id always yields. */
  private readonly byId = new Map<number, WriterEntry | DecodeError>();
  private readonly pending = new Map<number, Promise<void>>();
  private readonly headers: ReadonlyMap<SchemaVersion, Buffer>;
  private scratch = Buffer.allocUnsafe(8 * 1024);

  /**
   * @throws ConfigError when `readerVersion` is not a bundled version or `resolveSchemaId` is not a function.
   */
  constructor(options: UserCodecOptions<V> = {}) {
    const readerVersion = (options.readerVersion ?? LATEST_SCHEMA_VERSION) as V;
    if (!SCHEMA_VERSIONS.some((s) => s.version === readerVersion)) {
      throw new ConfigError(`UserCodec: readerVersion must be one of ${SCHEMA_VERSIONS.map((s) => s.version).join(', ')} (got ${String(readerVersion)})`);
    }
    if (options.resolveSchemaId !== undefined && typeof options.resolveSchemaId !== 'function') {
      throw new ConfigError('UserCodec: resolveSchemaId must be a function');
    }
    this.readerVersion = readerVersion;
    this.readerType = getUserSchema(readerVersion).type;
    this.bundled = bundledEntries(readerVersion);
    this.resolveSchemaId = options.resolveSchemaId;
    this.headers = new Map(SCHEMA_VERSIONS.map((s) => [s.version, Buffer.concat([Buffer.from([0xc3, 0x01]), s.fingerprintBytes])]));
  }

  /**
   * Encodes a record. A v2 record written with schema 1 (or as `json`) loses its
   * v2 fields; a v1 record written with schema 2 gets the v2 defaults.
   *
   * @returns a new Buffer with the framed value.
   * @throws InvalidRecordError (`RECORD_INVALID`) naming every field that does not fit the schema,
   *   including an `id` that is not a UUID.
   * @throws ConfigError for an unknown encoding or schema version, or a missing/invalid `schemaId` for `confluent`.
   * @example
   * ```ts
   * codec.encode(record, { encoding: 'confluent', schemaId: 42 });
   * ```
   */
  encode(record: UserRecord, options: EncodeOptions): Buffer {
    if (typeof options !== 'object' || options === null) throw new ConfigError('encode: options with an encoding are required');
    const encoding = options.encoding;
    const version = options.schemaVersion ?? LATEST_SCHEMA_VERSION;
    if (encoding === 'json') return this.encodeJson(record);
    if (encoding !== 'avro' && encoding !== 'confluent') {
      throw new ConfigError(`encode: encoding must be 'avro', 'confluent' or 'json' (got ${String(encoding)})`);
    }
    const header = this.headers.get(version);
    if (!header) throw new ConfigError(`encode: unknown schemaVersion ${String(version)}`);
    const schemaId = encoding === 'confluent' ? checkSchemaId(options.schemaId, 'encode (confluent)') : 0;
    const type = getUserSchema(version).type;
    if (!type.isValid(record) || !isUuid(record.id)) this.rejectAvro(record, type, version);

    let scratch = this.scratch;
    let headerLength: number;
    let end: number;
    for (;;) {
      if (encoding === 'avro') {
        header.copy(scratch, 0);
        headerLength = SINGLE_OBJECT_HEADER;
      } else {
        scratch[0] = 0;
        scratch.writeUInt32BE(schemaId, 1);
        headerLength = CONFLUENT_HEADER;
      }
      end = type.encode(record, scratch, headerLength);
      if (end >= 0) break;
      // avsc returns minus the number of missing bytes when the buffer is too small.
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      this.scratch = scratch;
    }
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    return out;
  }

  /**
   * Decodes one value, detecting its encoding from the leading bytes:
   * `0xC3 0x01` single-object Avro, `0x00` Confluent, `{` (after optional
   * whitespace) JSON. Synchronous: a Confluent id must already be cached
   * (`registerSchemaId`, or an earlier `decodeAsync`). The record's strings are
   * copies, so `value` may be reused afterwards.
   *
   * @param value the Kafka message value (a `null` tombstone is an `empty` DecodeError).
   *
   * @throws DecodeError (`RECORD_UNDECODABLE`, not retriable) with a `reason`:
   *   empty, unknown-magic, unknown-fingerprint, truncated, trailing-bytes,
   *   invalid-avro, invalid-schema, incompatible-schema, invalid-json, invalid-fields.
   * @throws UnknownSchemaIdError for a Confluent id not cached yet (retriable when
   *   the codec has `resolveSchemaId`: call `decodeAsync`).
   */
  decode(value: Buffer | Uint8Array | null | undefined): DecodedUser<RecordForVersion<V>> {
    // Kafka tombstones arrive as null values.
    if (value === null || value === undefined || value.length === 0)
      throw new DecodeError('empty', `cannot decode an ${value ? 'empty' : String(value)} value`);
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const length = bytes.length;
    const first = bytes[0];
    if (first === 0xc3) {
      if (length < 2) throw new DecodeError('truncated', 'avro single-object: value ends inside the 10-byte header (1 byte)');
      if (bytes[1] !== 0x01)
        throw new DecodeError('unknown-magic', `unknown magic bytes 0xc3 0x${bytes[1].toString(16).padStart(2, '0')} (single-object encoding is 0xc3 0x01)`);
      if (length < SINGLE_OBJECT_HEADER) throw new DecodeError('truncated', `avro single-object: value ends inside the 10-byte header (${length} bytes)`);
      const lo = bytes.readUInt32LE(2);
      const hi = bytes.readUInt32LE(6);
      const bundled = this.bundled;
      for (let i = 0; i < bundled.length; i++) {
        const entry = bundled[i];
        if (entry.lo === lo && entry.hi === hi) return this.readAvro(bytes, SINGLE_OBJECT_HEADER, entry, 'avro', undefined);
      }
      const hex = fingerprintToHex(bytes.readBigUInt64LE(2));
      throw new DecodeError(
        'unknown-fingerprint',
        `avro single-object: unknown schema fingerprint ${hex} (bundled: ${bundled.map((e) => e.fingerprintHex).join(', ')})`,
        {
          details: { fingerprint: hex },
        },
      );
    }
    if (first === 0x00) {
      if (length < CONFLUENT_HEADER) throw new DecodeError('truncated', `confluent: value ends inside the 5-byte header (${length} bytes)`);
      const id = bytes.readUInt32BE(1);
      const entry = this.byId.get(id);
      if (entry === undefined) {
        const hasResolver = this.resolveSchemaId !== undefined;
        throw new UnknownSchemaIdError(
          id,
          `confluent: schema id ${id} is not cached${hasResolver ? ' (decodeAsync resolves it)' : ' and the codec has no resolveSchemaId'}`,
          { retriable: hasResolver },
        );
      }
      if (entry instanceof DecodeError) throw entry;
      return this.readAvro(bytes, CONFLUENT_HEADER, entry, 'confluent', id);
    }
    let i = 0;
    while (i < length && isJsonWhitespace(bytes[i])) i++;
    if (i < length && bytes[i] === 0x7b) return this.decodeJson(bytes);
    throw new DecodeError(
      'unknown-magic',
      i < length
        ? `unknown magic byte 0x${bytes[i].toString(16).padStart(2, '0')} at offset ${i} (expected 0xc3 0x01, 0x00 or '{')`
        : 'value is only whitespace',
    );
  }

  /**
   * Like {@link UserCodec.decode}, but resolves a Confluent schema id that is not
   * cached through `resolveSchemaId` first (then caches it, including a schema
   * that turns out unreadable, so each id is looked up once).
   *
   * @throws DecodeError as `decode` does.
   * @throws UnknownSchemaIdError when the id cannot be resolved: no `resolveSchemaId`
   *   (not retriable), or the call failed (retriable unless it threw a non-retriable
   *   userstream error; the cause is kept).
   */
  async decodeAsync(value: Buffer | Uint8Array | null | undefined): Promise<DecodedUser<RecordForVersion<V>>> {
    if (value && value.length >= CONFLUENT_HEADER && value[0] === 0x00) {
      const id = ((value[1] << 24) >>> 0) + (value[2] << 16) + (value[3] << 8) + value[4];
      if (!this.byId.has(id)) await this.resolveId(id);
    }
    return this.decode(value);
  }

  /**
   * Caches the writer schema of a Confluent schema id, so that `decode` reads it
   * synchronously. Replaces an earlier entry for the id.
   *
   * @throws ConfigError when the id is out of range, or the schema is not valid Avro
   *   or cannot be read with the codec's reader schema.
   * @example
   * ```ts
   * codec.registerSchemaId(42, userSchemaV2Json);
   * ```
   */
  registerSchemaId(id: number, schema: AvroSchemaInput): void {
    checkSchemaId(id, 'registerSchemaId');
    const entry = this.compileWriter(schema, `schema id ${id}`);
    if (entry instanceof DecodeError) throw new ConfigError(`registerSchemaId: ${entry.message}`, { cause: entry });
    this.byId.set(id, entry);
  }

  /** True when a Confluent schema id is cached (readable by the synchronous `decode`). */
  hasSchemaId(id: number): boolean {
    return this.byId.has(id);
  }

  private resolveId(id: number): Promise<void> {
    let promise = this.pending.get(id);
    if (!promise) {
      promise = this.fetchSchema(id).finally(() => this.pending.delete(id));
      this.pending.set(id, promise);
    }
    return promise;
  }

  private async fetchSchema(id: number): Promise<void> {
    const resolve = this.resolveSchemaId;
    if (!resolve) {
      throw new UnknownSchemaIdError(id, `confluent: schema id ${id} is not registered and the codec has no resolveSchemaId`, { retriable: false });
    }
    let schema: AvroSchemaInput;
    try {
      schema = await resolve(id);
    } catch (err) {
      const retriable = isRetriable(err) || !(typeof err === 'object' && err !== null && 'retriable' in err);
      throw new UnknownSchemaIdError(id, `resolving schema id ${id}: ${describeError(err)}`, { retriable, cause: err });
    }
    this.byId.set(id, this.compileWriter(schema, `confluent: schema id ${id}`));
  }

  private compileWriter(schema: AvroSchemaInput, context: string): WriterEntry | DecodeError {
    let writer: Type;
    try {
      writer = parseUserSchema(schema);
    } catch (err) {
      return new DecodeError('invalid-schema', `${context}: invalid Avro schema: ${describeError(err)}`, { cause: err });
    }
    const fingerprint = schemaFingerprint(writer);
    const bundled = this.bundled.find((e) => e.fingerprint === fingerprint);
    if (bundled) return bundled;
    if (writer.typeName !== 'record') {
      return new DecodeError('incompatible-schema', `${context}: writer schema is a ${writer.typeName}, not a record`);
    }
    const writerName = unqualified(writer.name);
    // A schema registered by another tool may name the record differently
    // (e.g. "users_created"); resolution goes by field names, so alias the reader to it.
    const reader =
      writerName === unqualified(this.readerType.name)
        ? this.readerType
        : parseUserSchema({ ...getUserSchema(this.readerVersion).json, aliases: [writerName] });
    try {
      const resolver = reader.createResolver(writer, { ignoreNamespaces: true });
      return { reader, resolver, version: undefined, fingerprint, fingerprintHex: fingerprintToHex(fingerprint) };
    } catch (err) {
      return new DecodeError('incompatible-schema', `${context}: cannot read writer schema with reader schema v${this.readerVersion}: ${describeError(err)}`, {
        cause: err,
      });
    }
  }

  private readAvro(bytes: Buffer, pos: number, entry: WriterEntry, encoding: WireEncoding, schemaId: number | undefined): DecodedUser<RecordForVersion<V>> {
    let result: { value: unknown; offset: number };
    try {
      result = entry.reader.decode(bytes, pos, entry.resolver);
    } catch (err) {
      throw new DecodeError('invalid-avro', `${encoding}: invalid Avro body: ${describeError(err)}`, { cause: err });
    }
    if (result.offset < 0) throw new DecodeError('truncated', `${encoding}: value ends inside the record (${bytes.length} bytes)`);
    if (result.offset !== bytes.length) {
      throw new DecodeError('trailing-bytes', `${encoding}: ${bytes.length - result.offset} trailing bytes after the record`);
    }
    const record = result.value as RecordForVersion<V>;
    if (!isUuid(record.id)) {
      throw new DecodeError('invalid-fields', `${encoding}: invalid fields: id (not a UUID: ${JSON.stringify(record.id.slice(0, 64))})`, { fields: ['id'] });
    }
    return { record, encoding, writerVersion: entry.version, schemaId, fingerprint: entry.fingerprintHex };
  }

  private decodeJson(bytes: Buffer): DecodedUser<RecordForVersion<V>> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new DecodeError('invalid-json', `json: invalid JSON: ${describeError(err)}`, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new DecodeError('invalid-json', `json: expected an object, got ${kindOf(parsed)}`);
    }
    const src = parsed as Record<string, unknown>;
    const problems: string[] = [];
    const fields: string[] = [];
    const out: Record<string, unknown> = {};
    for (const f of V1_FIELDS) {
      const value = src[f];
      if (typeof value !== 'string') {
        fields.push(f);
        problems.push(`${f} (${value === undefined ? 'missing' : `expected a string, got ${kindOf(value)}`})`);
      } else if (f === 'id' && !isUuid(value)) {
        fields.push(f);
        problems.push(`id (not a UUID: ${JSON.stringify(value.slice(0, 64))})`);
      }
      out[f] = value;
    }
    if (fields.length > 0) throw new DecodeError('invalid-fields', `json: invalid fields: ${problems.join(', ')}`, { fields });
    if (this.readerVersion === 2) {
      out.title = '';
      out.nationality = '';
      out.cell = '';
      out.city = '';
      out.state = '';
      out.country = '';
      out.latitude = null;
      out.longitude = null;
      out.timezone_offset = '';
      out.timezone_description = '';
      out.age = null;
      out.picture_medium = '';
      out.picture_thumbnail = '';
      out.ingested_at = 0;
    }
    return { record: out as unknown as RecordForVersion<V>, encoding: 'json', writerVersion: 1, schemaId: undefined, fingerprint: undefined };
  }

  private encodeJson(record: UserRecord): Buffer {
    const problems: RecordProblem[] = [];
    if (typeof record !== 'object' || record === null) {
      throw new InvalidRecordError('encoding user record as json', [{ path: '(record)', reason: `expected an object, got ${kindOf(record)}` }]);
    }
    let text = '';
    for (let i = 0; i < V1_FIELDS.length; i++) {
      const f = V1_FIELDS[i];
      const value: unknown = record[f];
      if (typeof value !== 'string') {
        problems.push({ path: f, reason: value === undefined ? 'missing' : `expected a string, got ${kindOf(value)}` });
        continue;
      }
      if (i === 0 && !isUuid(value)) problems.push({ path: 'id', reason: 'expected a UUID string' });
      text += JSON_KEYS[i] + pyJsonString(value);
    }
    if (problems.length > 0) throw new InvalidRecordError('encoding user record as json', problems);
    return Buffer.from(`${text}}`, 'latin1');
  }

  private rejectAvro(record: unknown, type: Type, version: SchemaVersion): never {
    const problems: RecordProblem[] = [];
    type.isValid(record, {
      errorHook: (path: string[], value: unknown, fieldType: Type) => {
        problems.push({
          path: path.length > 0 ? path.join('.') : '(record)',
          reason: value === undefined ? 'missing' : `expected ${JSON.stringify(fieldType.schema())}, got ${kindOf(value)}`,
        });
      },
    });
    const id = (record as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && !isUuid(id)) problems.unshift({ path: 'id', reason: 'expected a UUID string' });
    throw new InvalidRecordError(`encoding user record with schema v${version}`, problems);
  }
}
