import fixture from './__fixtures__/python-avro.json';
import { fingerprintToBytes } from './fingerprint.util';
import {
  SCHEMA_VERSIONS,
  USER_SCHEMA_NAME,
  findSchemaByFingerprint,
  getUserSchema,
  userSchemaV1,
  userSchemaV1Json,
  userSchemaV2,
  userSchemaV2Json,
} from './record.schemas';
import { V1_FIELDS, V2_FIELDS } from './record.types';

describe('bundled schemas', () => {
  it('v1 has exactly the twelve reference fields, all strings, no defaults', () => {
    expect(userSchemaV1Json.fields.map((f) => f.name)).toEqual([...V1_FIELDS]);
    for (const f of userSchemaV1Json.fields) {
      expect(f.type).toBe('string');
      expect(f.default).toBeUndefined();
    }
  });

  it('v2 is v1 plus fields that all have the contract defaults', () => {
    expect(userSchemaV2Json.fields.map((f) => f.name)).toEqual([...V2_FIELDS]);
    expect(userSchemaV2Json.fields.slice(0, 12)).toEqual(userSchemaV1Json.fields);
    const added = Object.fromEntries(userSchemaV2Json.fields.slice(12).map((f) => [f.name, [f.type, f.default]]));
    expect(added).toEqual({
      title: ['string', ''],
      nationality: ['string', ''],
      cell: ['string', ''],
      city: ['string', ''],
      state: ['string', ''],
      country: ['string', ''],
      latitude: [['null', 'double'], null],
      longitude: [['null', 'double'], null],
      timezone_offset: ['string', ''],
      timezone_description: ['string', ''],
      age: [['null', 'int'], null],
      picture_medium: ['string', ''],
      picture_thumbnail: ['string', ''],
      ingested_at: ['long', 0],
    });
  });

  it('keeps one stable record name across versions', () => {
    expect(userSchemaV1.name).toBe(USER_SCHEMA_NAME);
    expect(userSchemaV2.name).toBe('io.userstream.User');
    expect(userSchemaV1Json).toMatchObject({ name: 'User', namespace: 'io.userstream', type: 'record' });
  });

  it('is frozen, so no caller can change what others encode with', () => {
    expect(Object.isFrozen(userSchemaV2Json)).toBe(true);
    expect(Object.isFrozen(userSchemaV2Json.fields[20])).toBe(true);
    expect(Object.isFrozen(SCHEMA_VERSIONS)).toBe(true);
  });

  it('has canonical forms and fingerprints equal to what python3-avro computes', () => {
    for (const v of fixture.versions) {
      const info = getUserSchema(v.version as 1 | 2);
      expect(info.canonicalForm).toBe(v.canonicalForm);
      expect(info.fingerprintHex).toBe(v.fingerprint);
      expect(info.fingerprint).toBe(BigInt(`0x${v.fingerprint}`));
    }
    expect(SCHEMA_VERSIONS[0].fingerprintHex).not.toBe(SCHEMA_VERSIONS[1].fingerprintHex);
  });
});

describe('getUserSchema', () => {
  it('returns the version asked for and rejects unknown ones', () => {
    expect(getUserSchema(1).type).toBe(userSchemaV1);
    expect(getUserSchema(2).json).toBe(userSchemaV2Json);
    expect(() => getUserSchema(3 as 1)).toThrow(/unknown user schema version 3/);
  });
});

describe('findSchemaByFingerprint', () => {
  const v2 = getUserSchema(2);

  it('finds by bigint, hex (any case) and little-endian bytes', () => {
    expect(findSchemaByFingerprint(v2.fingerprint)?.version).toBe(2);
    expect(findSchemaByFingerprint(v2.fingerprintHex.toUpperCase())?.version).toBe(2);
    expect(findSchemaByFingerprint(fingerprintToBytes(getUserSchema(1).fingerprint))?.version).toBe(1);
    const framed = Buffer.concat([Buffer.from([0xc3, 0x01]), v2.fingerprintBytes, Buffer.from([1, 2])]);
    expect(findSchemaByFingerprint(framed.subarray(2, 10))?.version).toBe(2);
  });

  it('returns undefined for unknown or malformed fingerprints', () => {
    expect(findSchemaByFingerprint(0n)).toBeUndefined();
    expect(findSchemaByFingerprint('xyz')).toBeUndefined();
    expect(findSchemaByFingerprint(v2.fingerprintHex.slice(1))).toBeUndefined();
    expect(findSchemaByFingerprint(new Uint8Array(7))).toBeUndefined();
  });
});
