import type { KafkaMessage } from 'kafkajs';
import { ConfigError } from '@userstream/core';
import {
  UnknownSchemaIdError,
  USER_SCHEMA_NAME,
  UserCodec,
  type DecodedUser,
  type EncodeOptions,
  type RecordForVersion,
  type SchemaVersion,
  type UserRecord,
  type WireEncoding,
} from '@userstream/user-schema';
import type { KafkaContext } from './kafka.context';
import type { KafkaProducerOptions, OutgoingMessage } from './producer.options';
import { RecordProducer, USERSTREAM_HEADERS } from './record.producer';

/** The `content-type` header for each wire encoding. */
export const CONTENT_TYPES: Readonly<Record<WireEncoding, string>> = {
  avro: 'application/avro',
  confluent: 'application/vnd.confluent.avro',
  json: 'application/json',
};

/** How user records are written to Kafka. */
export interface UserSerializerOptions {
  /** Default: a new `UserCodec`. */
  codec?: UserCodec<1> | UserCodec<2>;
  encoding: WireEncoding;
  /** Writer schema version for `avro` and `confluent`. Default 2 (`json` is always the twelve v1 fields). */
  schemaVersion?: SchemaVersion;
  /** Schema Registry id of the writer schema; required for `confluent`. */
  schemaId?: number;
  /** Ingest run id, sent as the `userstream-run-id` header. */
  runId?: string;
}

/**
 * The `userstream-schema` header value: `io.userstream.User/v2` (the writer
 * schema version), plus `;registry-id=<id>` for the Confluent encoding.
 */
export function userSchemaHeader(encoding: WireEncoding, schemaVersion: SchemaVersion = 2, schemaId?: number): string {
  const version = encoding === 'json' ? 1 : schemaVersion;
  return `${USER_SCHEMA_NAME}/v${version}${encoding === 'confluent' ? `;registry-id=${schemaId}` : ''}`;
}

/**
 * A `serialize` function for {@link RecordProducer}: key = the record id
 * (UTF-8), value = the codec's encoding, headers `content-type`,
 * `userstream-encoding`, `userstream-schema` and (when given) `userstream-run-id`.
 * The serializer throws the codec's `InvalidRecordError` for a bad record.
 *
 * @throws ConfigError when `confluent` is chosen without `schemaId`.
 */
export function userRecordSerializer(options: UserSerializerOptions): (record: UserRecord) => OutgoingMessage {
  const codec = options.codec ?? new UserCodec();
  if (options.encoding === 'confluent' && options.schemaId === undefined) throw new ConfigError('user serializer: the confluent encoding needs schemaId');
  if (!(options.encoding in CONTENT_TYPES))
    throw new ConfigError(`user serializer: encoding must be avro, confluent or json (got ${String(options.encoding)})`);
  const encodeOptions: EncodeOptions = {
    encoding: options.encoding,
    ...(options.schemaVersion === undefined ? {} : { schemaVersion: options.schemaVersion }),
    ...(options.schemaId === undefined ? {} : { schemaId: options.schemaId }),
  };
  const headers: Record<string, string> = {
    [USERSTREAM_HEADERS.contentType]: CONTENT_TYPES[options.encoding],
    [USERSTREAM_HEADERS.encoding]: options.encoding,
    [USERSTREAM_HEADERS.schema]: userSchemaHeader(options.encoding, options.schemaVersion ?? 2, options.schemaId),
    ...(options.runId === undefined ? {} : { [USERSTREAM_HEADERS.runId]: options.runId }),
  };
  return (record) => ({ key: record.id, value: codec.encode(record, encodeOptions), headers });
}

/** Options of {@link createUserProducer}. */
export interface UserProducerOptions extends UserSerializerOptions, KafkaProducerOptions {
  /** Default `users_created`. */
  topic?: string;
}

/**
 * A {@link RecordProducer} of user records with the userstream key and
 * headers (see {@link userRecordSerializer}).
 *
 * @example
 * ```ts
 * const users = createUserProducer(kafka, { encoding: 'avro', runId });
 * const { acknowledged } = await users.send(records);
 * ```
 */
export function createUserProducer(client: KafkaContext, options: UserProducerOptions): RecordProducer<UserRecord> {
  const { codec, encoding, schemaVersion, schemaId, runId, topic, ...producerOptions } = options;
  const serialize = userRecordSerializer({
    encoding,
    ...(codec === undefined ? {} : { codec }),
    ...(schemaVersion === undefined ? {} : { schemaVersion }),
    ...(schemaId === undefined ? {} : { schemaId }),
    ...(runId === undefined ? {} : { runId }),
  });
  return new RecordProducer<UserRecord>(client, { ...producerOptions, topic: topic ?? 'users_created', serialize });
}

/**
 * A `decode` function for {@link ConsumerRunner} that reads any of the three
 * encodings with `codec`: synchronous for cached schemas, asynchronous only
 * for a Confluent id seen the first time. A tombstone (null value) decodes as
 * an empty value, which the codec rejects: a poison record.
 *
 * @example
 * ```ts
 * const codec = new UserCodec({ resolveSchemaId: (id) => registry.getSchemaText(id) });
 * kafka.consumerRunner({ groupId, topics: 'users_created', decode: userRecordDecoder(codec), handler });
 * ```
 */
export function userRecordDecoder<V extends SchemaVersion>(codec: UserCodec<V>): (message: KafkaMessage) => DecodedUserValue<V> | Promise<DecodedUserValue<V>> {
  const empty = Buffer.alloc(0);
  return (message) => {
    const bytes = message.value ?? empty;
    try {
      return codec.decode(bytes);
    } catch (error) {
      if (error instanceof UnknownSchemaIdError && error.retriable) return codec.decodeAsync(bytes);
      throw error;
    }
  };
}

/** A decoded user value as {@link userRecordDecoder} returns it: the record plus encoding, schema version, id, fingerprint. */
export type DecodedUserValue<V extends SchemaVersion = 2> = DecodedUser<RecordForVersion<V>>;
