import { Type, type Schema } from 'avsc';

/** CRC-64-AVRO of zero bytes, the polynomial seed given by the Avro specification. */
export const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n;

const MASK64 = 0xffffffffffffffffn;

// Table-driven CRC per the Avro spec ("Schema Fingerprints"): each entry is the
// CRC of one byte value shifted through eight rounds of the reflected polynomial.
const TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) {
      fp = (fp >> 1n) ^ (fp & 1n ? CRC64_AVRO_EMPTY : 0n);
    }
    table.push(fp);
  }
  return table;
})();

/**
 * CRC-64-AVRO (the Rabin fingerprint of the Avro specification) of some bytes;
 * a string is hashed as UTF-8. Returns the unsigned 64-bit value.
 *
 * @example
 * ```ts
 * crc64Avro('"int"'); // 0x7275d51a3f395c8fn
 * ```
 */
export function crc64Avro(data: string | Uint8Array): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = CRC64_AVRO_EMPTY;
  for (let i = 0; i < bytes.length; i++) {
    fp = ((fp >> 8n) ^ TABLE[Number((fp ^ BigInt(bytes[i])) & 0xffn)]) & MASK64;
  }
  return fp;
}

/**
 * The Avro Parsing Canonical Form of a schema: JSON text (`'{"type":"int"}'`,
 * `'"int"'`), a bare type name (`'int'`), a parsed schema, or an avsc Type. avsc's `type.schema()` (attributes not exported) already
 * applies the canonical transformations: full names, only the attributes that
 * matter for parsing (`name`, `type`, `fields`, `symbols`, `items`, `values`,
 * `size`) in canonical order, no whitespace. The unit tests check it against
 * the Avro project's canonical-form test vectors.
 *
 * @throws Error when the schema is not a valid Avro schema.
 */
export function parsingCanonicalForm(schema: Type | Schema | string): string {
  const type = Type.isType(schema) ? (schema as Type) : Type.forSchema(typeof schema === 'string' ? parseSchemaText(schema) : schema);
  return JSON.stringify(type.schema());
}

// JSON text ('"int"', '{"type":...}'), or else a bare type name ('int').
function parseSchemaText(text: string): Schema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  // 'null' parses as JSON null but names the null type.
  return typeof parsed === 'string' || (typeof parsed === 'object' && parsed !== null) ? (parsed as Schema) : text;
}

/**
 * The CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form, the value
 * Avro single-object encoding puts (little-endian) after `0xC3 0x01`.
 *
 * @example
 * ```ts
 * fingerprintToHex(schemaFingerprint('"string"')); // '8f014872634503c7'
 * ```
 * @throws Error when the schema is not a valid Avro schema.
 */
export function schemaFingerprint(schema: Type | Schema | string): bigint {
  return crc64Avro(parsingCanonicalForm(schema));
}

/**
 * A fingerprint as 16 lowercase hex digits of the unsigned 64-bit value
 * (most significant first; the wire carries the same value little-endian).
 *
 * @example
 * ```ts
 * fingerprintToHex(crc64Avro('"int"')); // '7275d51a3f395c8f'
 * ```
 */
export function fingerprintToHex(fingerprint: bigint): string {
  return BigInt.asUintN(64, fingerprint).toString(16).padStart(16, '0');
}

/**
 * The eight little-endian bytes of a fingerprint, as written in a single-object header (a new Buffer).
 *
 * @example
 * ```ts
 * fingerprintToBytes(crc64Avro('"int"')); // <Buffer 8f 5c 39 3f 1a d5 75 72>
 * ```
 */
export function fingerprintToBytes(fingerprint: bigint): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(BigInt.asUintN(64, fingerprint));
  return buf;
}
