import { Type } from 'avsc';
import { CRC64_AVRO_EMPTY, crc64Avro, fingerprintToBytes, fingerprintToHex, parsingCanonicalForm, schemaFingerprint } from './fingerprint.util';

// Inputs, Parsing Canonical Forms and fingerprints (signed 64-bit, as Java
// prints them) from the Avro project's share/test/data/schema-tests.txt, which
// the Java implementation cross-checks; a subset covering each rule.
const VECTORS: readonly (readonly [input: string, canonical: string, fingerprint: bigint])[] = [
  ['"null"', '"null"', 7195948357588979594n],
  ['{"type":"boolean"}', '"boolean"', -6970731678124411036n],
  ['"int"', '"int"', 8247732601305521295n],
  ['"long"', '"long"', -3434872931120570953n],
  ['"double"', '"double"', -8181574048448539266n],
  ['{"type":"string"}', '"string"', -8142146995180207161n],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', 5392556393470105090n],
  ['{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', '{"name":"x.y.foo","type":"record","fields":[]}', 5916914534497305771n],
  ['{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}', '{"name":"foo","type":"record","fields":[]}', -4824392279771201922n],
  [
    '{"fields":[{"type":"boolean","aliases":[],"name":"f1","default":true},{"order":"descending","name":"f2","doc":"Hello","type":"int"}],"type":"record","name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    -4860222112080293046n,
  ],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    -4448647247586288245n,
  ],
  ['{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}', '{"name":"x.y.z.foo","type":"fixed","size":32}', -3064184465700546786n],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', -589620603366471059n],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', -8732877298790414990n],
  [
    '{"name":"PigValue","type":"record","fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    -1759257747318642341n,
  ],
];

describe('crc64Avro', () => {
  it('returns the spec empty value for no bytes', () => {
    expect(crc64Avro('')).toBe(CRC64_AVRO_EMPTY);
    expect(crc64Avro(new Uint8Array(0))).toBe(0xc15d213aa4d7a795n);
  });

  it.each(VECTORS)('fingerprints the canonical form of %s', (_input, canonical, expected) => {
    expect(crc64Avro(canonical)).toBe(BigInt.asUintN(64, expected));
    expect(crc64Avro(Buffer.from(canonical))).toBe(BigInt.asUintN(64, expected));
  });
});

describe('parsingCanonicalForm / schemaFingerprint', () => {
  it.each(VECTORS)('canonicalises %s as the Avro test suite does', (input, canonical, expected) => {
    expect(parsingCanonicalForm(input)).toBe(canonical);
    expect(parsingCanonicalForm(JSON.parse(input))).toBe(canonical);
    expect(parsingCanonicalForm(Type.forSchema(JSON.parse(input)))).toBe(canonical);
    expect(schemaFingerprint(input)).toBe(BigInt.asUintN(64, expected));
  });

  it('throws on an invalid schema', () => {
    expect(() => schemaFingerprint('{"type":"nope"}')).toThrow();
  });
});

describe('fingerprint formats', () => {
  it('writes "int" (0x7275d51a3f395c8f) as hex and as little-endian header bytes', () => {
    const fp = crc64Avro('"int"');
    expect(fingerprintToHex(fp)).toBe('7275d51a3f395c8f');
    expect([...fingerprintToBytes(fp)]).toEqual([0x8f, 0x5c, 0x39, 0x3f, 0x1a, 0xd5, 0x75, 0x72]);
  });

  it('pads small values and accepts signed input', () => {
    expect(fingerprintToHex(1n)).toBe('0000000000000001');
    expect(fingerprintToHex(-8142146995180207161n)).toBe('8f014872634503c7');
  });
});
