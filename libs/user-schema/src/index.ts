/**
 * The userstream user record: TypeScript types, Avro schemas (avsc), the
 * randomuser.me -> record mapping and the wire codecs (Avro single-object,
 * Confluent wire format, reference JSON).
 *
 * @packageDocumentation
 */
export * from './record.types';
export * from './record.errors';
export * from './record.schemas';
export * from './fingerprint.util';
export * from './randomuser.mapper';
export * from './user.codec';
