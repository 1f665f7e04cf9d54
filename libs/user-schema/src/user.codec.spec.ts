import { ConfigError, UserstreamError } from '@userstream/core';
import fixture from './__fixtures__/python-avro.json';
import { randomRecord, seededRandom } from './__fixtures__/records';
import { V2_DEFAULTS, toV1 } from './randomuser.mapper';
import { DecodeError, InvalidRecordError, UnknownSchemaIdError, type DecodeFailureReason } from './record.errors';
import { getUserSchema, parseUserSchema, userSchemaV1Json, userSchemaV2Json, type SchemaVersion } from './record.schemas';
import type { UserRecordV2 } from './record.types';
import { UserCodec, type WireEncoding } from './user.codec';

const V1_ID = 11;
const V2_ID = 12;

function codecFor(readerVersion: SchemaVersion): UserCodec<SchemaVersion> {
  const codec = new UserCodec<SchemaVersion>({ readerVersion });
  codec.registerSchemaId(V1_ID, userSchemaV1Json);
  codec.registerSchemaId(V2_ID, JSON.stringify(userSchemaV2Json));
  return codec;
}

function expected(record: UserRecordV2, writer: SchemaVersion, reader: SchemaVersion, encoding: WireEncoding) {
  if (reader === 1) return toV1(record);
  if (writer === 1 || encoding === 'json') return { ...toV1(record), ...V2_DEFAULTS };
  return record;
}

function decodeError(fn: () => unknown): DecodeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  const e = caught as DecodeError;
  expect(e).toBeInstanceOf(UserstreamError);
  expect(e.code).toBe('RECORD_UNDECODABLE');
  expect(e.retriable).toBe(false);
  return e;
}

const sample = randomRecord(seededRandom(7));

describe('round trips: every encoding x writer version x reader version', () => {
  const rnd = seededRandom(20241125);
  const records = Array.from({ length: 200 }, () => randomRecord(rnd));
  const encodings: WireEncoding[] = ['avro', 'confluent', 'json'];
  const cases = encodings.flatMap((encoding) => ([1, 2] as const).flatMap((writer) => ([1, 2] as const).map((reader) => [encoding, writer, reader] as const)));

  it('generates varied records (nulls, empty strings, astral characters)', () => {
    expect(records.some((r) => r.latitude === null)).toBe(true);
    expect(records.some((r) => r.age !== null && r.age < 0)).toBe(true);
    expect(records.some((r) => r.first_name === '')).toBe(true);
    expect(records.some((r) => r.last_name.includes('😀'))).toBe(true);
  });

  it.each(cases)('%s, written with v%i, read with v%i', (encoding, writer, reader) => {
    const codec = codecFor(reader);
    const schemaId = writer === 1 ? V1_ID : V2_ID;
    for (const record of records) {
      const bytes = codec.encode(record, { encoding, schemaVersion: writer, schemaId });
      const decoded = codec.decode(bytes);
      expect(decoded.record).toEqual(expected(record, writer, reader, encoding));
      expect(Object.keys(decoded.record)).toHaveLength(reader === 1 ? 12 : 26);
      expect(decoded.encoding).toBe(encoding);
      expect(decoded.writerVersion).toBe(encoding === 'json' ? 1 : writer);
      expect(decoded.schemaId).toBe(encoding === 'confluent' ? schemaId : undefined);
      expect(decoded.fingerprint).toBe(encoding === 'json' ? undefined : getUserSchema(writer).fingerprintHex);
    }
  });

  it('writes a v1 record with schema v2 using the v2 defaults', () => {
    const codec = new UserCodec();
    const decoded = codec.decode(codec.encode(toV1(sample), { encoding: 'avro' }));
    expect(decoded.record).toEqual({ ...toV1(sample), ...V2_DEFAULTS });
    expect(decoded.writerVersion).toBe(2);
  });

  it('types the record by reader version', () => {
    const v1Codec = new UserCodec({ readerVersion: 1 });
    const v1: { record: { id: string } } = v1Codec.decode(v1Codec.encode(sample, { encoding: 'avro' }));
    expect('title' in v1.record).toBe(false);
    expect(new UserCodec().readerVersion).toBe(2);
  });
});

describe('framing', () => {
  const codec = codecFor(2);

  it('avro: 0xC3 0x01, the 8-byte little-endian fingerprint, then the Avro body', () => {
    for (const version of [1, 2] as const) {
      const info = getUserSchema(version);
      const bytes = codec.encode(sample, { encoding: 'avro', schemaVersion: version });
      expect([...bytes.subarray(0, 2)]).toEqual([0xc3, 0x01]);
      expect(bytes.subarray(2, 10)).toEqual(info.fingerprintBytes);
      expect(bytes.subarray(10)).toEqual(info.type.toBuffer(sample));
    }
  });

  it('confluent: 0x00, the 4-byte big-endian id, then the Avro body', () => {
    const bytes = codec.encode(sample, { encoding: 'confluent', schemaId: 0x01020304 });
    expect([...bytes.subarray(0, 5)]).toEqual([0x00, 0x01, 0x02, 0x03, 0x04]);
    expect(bytes.subarray(5)).toEqual(getUserSchema(2).type.toBuffer(sample));
  });

  it('json: exactly the twelve v1 fields, as Python json.dumps writes them', () => {
    const bytes = codec.encode(sample, { encoding: 'json' });
    const parsed = JSON.parse(bytes.toString('utf8'));
    expect(Object.keys(parsed)).toEqual(Object.keys(toV1(sample)));
    expect(parsed).toEqual(toV1(sample));
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    expect(bytes.toString().startsWith('{"id": "')).toBe(true);
  });

  it('grows its scratch buffer for records larger than it', () => {
    const big = { ...sample, address: 'x'.repeat(100_000), first_name: 'é'.repeat(20_000) };
    for (const encoding of ['avro', 'confluent'] as const) {
      const bytes = codec.encode(big, { encoding, schemaId: V2_ID });
      expect(codec.decode(bytes).record).toEqual(big);
    }
    expect(codec.decode(codec.encode(sample, { encoding: 'avro' })).record).toEqual(sample);
  });

  it('returns buffers that later encodes do not overwrite', () => {
    const first = codec.encode(sample, { encoding: 'avro' });
    const copy = Buffer.from(first);
    codec.encode(randomRecord(seededRandom(99)), { encoding: 'avro' });
    expect(first).toEqual(copy);
  });
});

describe('values written by python3-avro and Python json.dumps', () => {
  it(`decodes them to the same records and encodes the same bytes (${fixture.generator})`, () => {
    for (const reader of [1, 2] as const) {
      const codec = new UserCodec<SchemaVersion>({ readerVersion: reader });
      for (const v of fixture.versions) {
        const writer = v.version as SchemaVersion;
        codec.registerSchemaId(v.schemaId, v.version === 1 ? userSchemaV1Json : userSchemaV2Json);
        for (const value of v.values) {
          const record = value.record as UserRecordV2;
          const single = codec.decode(Buffer.from(value.singleObject, 'hex'));
          expect(single.record).toEqual(expected(record, writer, reader, 'avro'));
          expect(single.fingerprint).toBe(v.fingerprint);
          const confluent = codec.decode(Buffer.from(value.confluent, 'hex'));
          expect(confluent.record).toEqual(single.record);
          expect(confluent.schemaId).toBe(v.schemaId);
          expect(codec.encode(record, { encoding: 'avro', schemaVersion: writer }).toString('hex')).toBe(value.singleObject);
          expect(codec.encode(record, { encoding: 'confluent', schemaVersion: writer, schemaId: v.schemaId }).toString('hex')).toBe(value.confluent);
        }
      }
    }
  });

  it('writes reference JSON byte for byte as the Python producer did', () => {
    const codec = new UserCodec();
    fixture.referenceJson.forEach((hex, i) => {
      const record = fixture.versions[1].values[i].record as UserRecordV2;
      expect(codec.encode(record, { encoding: 'json' }).toString('hex')).toBe(hex);
      expect(codec.decode(Buffer.from(hex, 'hex')).record).toEqual({ ...toV1(record), ...V2_DEFAULTS });
    });
  });
});

describe('encoding detection', () => {
  const codec = codecFor(2);
  const json = JSON.stringify(toV1(sample));

  it.each([
    ['avro', codec.encode(sample, { encoding: 'avro', schemaVersion: 1 })],
    ['confluent', codec.encode(sample, { encoding: 'confluent', schemaId: V2_ID })],
    ['json', Buffer.from(json)],
    ['json', Buffer.from(` \t\r\n${json}\n`)],
  ] as const)('detects %s', (encoding, bytes) => {
    expect(codec.decode(bytes).encoding).toBe(encoding);
  });

  it('accepts a plain Uint8Array view (e.g. a slice of a larger buffer)', () => {
    const bytes = codec.encode(sample, { encoding: 'avro' });
    const big = new Uint8Array(bytes.length + 8);
    big.set(bytes, 4);
    expect(codec.decode(big.subarray(4, 4 + bytes.length)).record).toEqual(sample);
  });

  it('reads compact JSON from other producers and ignores extra JSON fields', () => {
    const decoded = codec.decode(Buffer.from(JSON.stringify({ ...toV1(sample), post_code: 'x', title: 'Dr' })));
    expect(decoded.record).toEqual({ ...toV1(sample), ...V2_DEFAULTS });
  });
});

describe('decode errors', () => {
  const codec = codecFor(2);
  const avro = codec.encode(sample, { encoding: 'avro' });
  const confluent = codec.encode(sample, { encoding: 'confluent', schemaId: V2_ID });
  const badId = { ...sample, id: 'not-a-uuid' };
  const withBadId = Buffer.concat([avro.subarray(0, 10), getUserSchema(2).type.toBuffer(badId)]);

  it.each<[string, Buffer, DecodeFailureReason, RegExp]>([
    ['an empty value', Buffer.alloc(0), 'empty', /empty/],
    ['a null (tombstone) value', null as unknown as Buffer, 'empty', /null value/],
    ['an unknown first byte', Buffer.from([0x05, 1, 2]), 'unknown-magic', /unknown magic byte 0x05/],
    ['0xC3 with the wrong second byte', Buffer.from([0xc3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'unknown-magic', /0xc3 0x02/],
    ['only whitespace', Buffer.from('  \n'), 'unknown-magic', /whitespace/],
    ['a JSON array', Buffer.from('[1]'), 'unknown-magic', /0x5b/],
    ['an unknown fingerprint', Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0xab), avro.subarray(10)]), 'unknown-fingerprint', /abababababababab/],
    ['a single-object header cut short', avro.subarray(0, 6), 'truncated', /header/],
    ['a lone 0xC3', avro.subarray(0, 1), 'truncated', /header/],
    ['an Avro body cut short', avro.subarray(0, avro.length - 3), 'truncated', /ends inside the record/],
    ['a Confluent header cut short', confluent.subarray(0, 3), 'truncated', /5-byte header/],
    ['a Confluent body cut short', confluent.subarray(0, 20), 'truncated', /ends inside the record/],
    ['trailing bytes after the record', Buffer.concat([avro, Buffer.from([0, 0])]), 'trailing-bytes', /2 trailing bytes/],
    [
      'a bad union index',
      Buffer.concat([
        Buffer.from([0xc3, 0x01]),
        getUserSchema(2).fingerprintBytes,
        getUserSchema(1).type.toBuffer(sample),
        Buffer.from([0, 0, 0, 0, 0, 0, 0x0a]),
      ]),
      'invalid-avro',
      /union index/,
    ],
    ['an Avro id that is not a UUID', withBadId, 'invalid-fields', /id \(not a UUID/],
    ['invalid JSON', Buffer.from('{"id": "7a0eed16-'), 'invalid-json', /invalid JSON/],
  ])('rejects %s', (_what, bytes, reason, message) => {
    const e = decodeError(() => codec.decode(bytes));
    expect(e.reason).toBe(reason);
    expect(e.details.reason).toBe(reason);
    expect(e.message).toMatch(message);
  });

  it('names every invalid JSON field', () => {
    const bad = { ...toV1(sample), id: 'nope', first_name: 7, email: null } as Record<string, unknown>;
    delete bad.phone;
    const e = decodeError(() => codec.decode(Buffer.from(JSON.stringify(bad))));
    expect(e.reason).toBe('invalid-fields');
    expect(e.fields).toEqual(['id', 'first_name', 'email', 'phone']);
    expect(e.message).toContain('first_name (expected a string, got number)');
    expect(e.message).toContain('phone (missing)');
  });

  it('decodeAsync rejects the same way', async () => {
    await expect(codec.decodeAsync(Buffer.from('{oops'))).rejects.toMatchObject({ reason: 'invalid-json' });
  });
});

describe('encode errors', () => {
  const codec = new UserCodec();

  it('names every field that does not fit the schema', () => {
    const bad = { ...sample, id: 'x', latitude: 'north', age: 1.5, email: undefined } as unknown as UserRecordV2;
    let caught: unknown;
    try {
      codec.encode(bad, { encoding: 'avro' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidRecordError);
    expect((caught as InvalidRecordError).paths).toEqual(['id', 'email', 'latitude', 'age']);
    expect((caught as InvalidRecordError).code).toBe('RECORD_INVALID');
  });

  it('rejects a non-UUID id and non-string fields for json', () => {
    const bad = { ...sample, id: 'x', phone: 5 } as unknown as UserRecordV2;
    expect(() => codec.encode(bad, { encoding: 'json' })).toThrow(expect.objectContaining({ paths: ['id', 'phone'] }));
    expect(() => codec.encode(null as unknown as UserRecordV2, { encoding: 'avro' })).toThrow(InvalidRecordError);
  });

  it('rejects bad options as ConfigError', () => {
    expect(() => codec.encode(sample, { encoding: 'confluent' })).toThrow(ConfigError);
    expect(() => codec.encode(sample, { encoding: 'confluent', schemaId: -1 })).toThrow(ConfigError);
    expect(() => codec.encode(sample, { encoding: 'xml' as 'json' })).toThrow(ConfigError);
    expect(() => codec.encode(sample, { encoding: 'avro', schemaVersion: 3 as 2 })).toThrow(ConfigError);
    expect(() => new UserCodec({ readerVersion: 4 as 2 })).toThrow(ConfigError);
  });
});

describe('confluent schema ids', () => {
  const v2Bytes = (id: number) => new UserCodec().encode(sample, { encoding: 'confluent', schemaId: id });

  it('decode throws a retriable UnknownSchemaIdError for an uncached id, decodeAsync resolves and caches it', async () => {
    const resolveSchemaId = jest.fn(async (id: number) => {
      if (id === 7) return JSON.stringify(userSchemaV2Json);
      throw new Error(`no schema ${id}`);
    });
    const codec = new UserCodec({ resolveSchemaId });
    const bytes = v2Bytes(7);
    let caught: unknown;
    try {
      codec.decode(bytes);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnknownSchemaIdError);
    expect(caught).not.toBeInstanceOf(DecodeError);
    expect((caught as UnknownSchemaIdError).retriable).toBe(true);
    expect((caught as UnknownSchemaIdError).schemaId).toBe(7);

    const all = await Promise.all([codec.decodeAsync(bytes), codec.decodeAsync(bytes), codec.decodeAsync(bytes)]);
    expect(resolveSchemaId).toHaveBeenCalledTimes(1);
    for (const d of all)
      expect(d).toEqual({ record: sample, encoding: 'confluent', writerVersion: 2, schemaId: 7, fingerprint: getUserSchema(2).fingerprintHex });
    expect(codec.hasSchemaId(7)).toBe(true);
    expect(codec.decode(bytes).record).toEqual(sample);
    await codec.decodeAsync(bytes);
    expect(resolveSchemaId).toHaveBeenCalledTimes(1);
  });

  it('wraps resolver failures, keeps the cause, and tries again on the next call', async () => {
    const failure = new Error('registry down');
    const resolveSchemaId = jest.fn().mockRejectedValueOnce(failure).mockResolvedValueOnce(userSchemaV1Json);
    const codec = new UserCodec({ resolveSchemaId });
    const v1 = codec.encode(sample, { encoding: 'confluent', schemaVersion: 1, schemaId: 3 });
    const err = await codec.decodeAsync(v1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnknownSchemaIdError);
    expect((err as UnknownSchemaIdError).retriable).toBe(true);
    expect((err as UnknownSchemaIdError).cause).toBe(failure);
    expect((err as Error).message).toMatch(/resolving schema id 3: registry down/);
    const ok = await codec.decodeAsync(v1);
    expect(ok.record).toEqual({ ...toV1(sample), ...V2_DEFAULTS });
    expect(ok.writerVersion).toBe(1);
  });

  it('passes on a non-retriable resolver error as not retriable', async () => {
    const notFound = new UserstreamError('subject not found', { code: 'SCHEMA_NOT_FOUND', retriable: false });
    const codec = new UserCodec({ resolveSchemaId: () => Promise.reject(notFound) });
    await expect(codec.decodeAsync(v2Bytes(9))).rejects.toMatchObject({ name: 'UnknownSchemaIdError', retriable: false, cause: notFound });
  });

  it('without resolveSchemaId, an unknown id is not retriable', async () => {
    const codec = new UserCodec();
    expect(() => codec.decode(v2Bytes(1))).toThrow(expect.objectContaining({ name: 'UnknownSchemaIdError', retriable: false }));
    await expect(codec.decodeAsync(v2Bytes(1))).rejects.toMatchObject({ name: 'UnknownSchemaIdError', retriable: false });
  });

  it('reads a foreign schema (other record name, other field order, extra field) via resolution', async () => {
    const foreign = {
      type: 'record',
      name: 'users_created',
      fields: [
        { name: 'email', type: 'string' },
        { name: 'id', type: 'string' },
        { name: 'source', type: 'int' },
        ...userSchemaV1Json.fields.filter((f) => f.name !== 'id' && f.name !== 'email').map((f) => ({ name: f.name, type: f.type })),
        { name: 'age', type: ['null', 'int'] },
      ],
    };
    const codec = new UserCodec({ resolveSchemaId: async () => foreign });
    const body = parseUserSchema(foreign).toBuffer({ ...sample, source: 5, age: 41 });
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 77]), body]);
    const decoded = await codec.decodeAsync(bytes);
    expect(decoded.record).toEqual({ ...toV1(sample), ...V2_DEFAULTS, age: 41 });
    expect(decoded.writerVersion).toBeUndefined();
    expect(decoded.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('turns an unreadable resolved schema into a cached DecodeError', async () => {
    const resolveSchemaId = jest.fn(async (id: number) =>
      id === 1 ? { type: 'record', name: 'User', fields: [{ name: 'email', type: 'string' }] } : '{"type": "nope"}',
    );
    const codec = new UserCodec({ resolveSchemaId });
    const incompatible = Buffer.from([0, 0, 0, 0, 1, 2, 0x41]);
    const invalid = Buffer.from([0, 0, 0, 0, 2, 2, 0x41]);
    await expect(codec.decodeAsync(incompatible)).rejects.toMatchObject({ reason: 'incompatible-schema' });
    await expect(codec.decodeAsync(invalid)).rejects.toMatchObject({ reason: 'invalid-schema' });
    expect(decodeError(() => codec.decode(incompatible)).reason).toBe('incompatible-schema');
    expect(resolveSchemaId).toHaveBeenCalledTimes(2);
  });

  it('registerSchemaId rejects bad ids and unreadable schemas', () => {
    const codec = new UserCodec();
    expect(() => codec.registerSchemaId(-1, userSchemaV2Json)).toThrow(ConfigError);
    expect(() => codec.registerSchemaId(1.5, userSchemaV2Json)).toThrow(ConfigError);
    expect(() => codec.registerSchemaId(1, '{"type":"record"')).toThrow(ConfigError);
    expect(() => codec.registerSchemaId(1, '"string"')).toThrow(/not a record/);
    expect(codec.hasSchemaId(1)).toBe(false);
  });
});
