/**
 * The userstream kafkajs adapter: validated connection options, topic and
 * consumer-group administration, an idempotent batching producer, a consumer
 * runner with at-least-once, never-skip commits, a dead-letter publisher, a
 * small Confluent Schema Registry client and typed events.
 *
 * Start from {@link KafkaClient}.
 *
 * @packageDocumentation
 */
export { KafkaClient } from './kafka.client';
export {
  checkBrokerAddress,
  kafkaSecurityConfigSpec,
  kafkaSecurityOptions,
  resolveConnectionOptions,
  schemaRegistryAuth,
  schemaRegistryCredentialsSpec,
  type KafkaSecurityConfig,
  type KafkaConnectionOptions,
  type ResolvedConnectionOptions,
  type SaslMechanism,
  type SaslOptions,
} from './connection.options';
export { kafkaLogCreator, toKafkaLogLevel, type KafkaLogLevelName } from './kafka.logger';
export { compressionType, registerSnappyCodec, type CompressionName } from './compression';
export {
  KafkaError,
  ProduceError,
  isRebalanceError,
  isVendorRetriable,
  wrapKafkaError,
  type KafkaErrorCode,
  type SendFailure,
  type SendReport,
} from './kafka.errors';
export type { DeadLetterStage, KafkaEvents } from './kafka.events';
export {
  KafkaAdmin,
  type EnsureTopicOptions,
  type EnsureTopicResult,
  type GroupDescription,
  type GroupLag,
  type PartitionLag,
  type PartitionOffsets,
} from './kafka.admin';
export type { KafkaContext } from './kafka.context';
export { KafkaProducer } from './kafka.producer';
export type { KafkaProducerOptions, OutgoingMessage } from './producer.options';
export { RecordProducer, USERSTREAM_HEADERS, type RecordProducerOptions } from './record.producer';
export { DEAD_LETTER_HEADERS, DeadLetterPublisher, errorCode, type DeadLetterEntry, type DeadLetterOptions } from './dead-letter.publisher';
export { ConsumerRunner } from './consumer.runner';
export type {
  ConsumedRecord,
  ConsumerRunnerOptions,
  ConsumerRunnerState,
  ConsumerRunnerStats,
  HandlerBatch,
  HandlerRetryOptions,
  MessageSource,
  RecordHandler,
} from './consumer.options';
export { TopicReader, type TopicReadRequest, type TopicReadResult, type TopicReaderOptions, type TopicRecord } from './topic.reader';
export {
  SchemaRegistryClient,
  createSchemaRegistry,
  type CompatibilityLevel,
  type CompatibilityResult,
  type SchemaRegistryOptions,
} from './schema-registry.client';
export {
  CONTENT_TYPES,
  createUserProducer,
  userRecordDecoder,
  userRecordSerializer,
  userSchemaHeader,
  type DecodedUserValue,
  type UserProducerOptions,
  type UserSerializerOptions,
} from './user-records';
