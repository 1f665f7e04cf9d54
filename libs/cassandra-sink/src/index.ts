/**
 * `@userstream/cassandra-sink`: writes user records to Apache Cassandra with
 * prepared, idempotent upserts, many in flight, and a result per record.
 *
 * @packageDocumentation
 */
export { CassandraSink, type WriteBatchOptions, type WriteBatchResult } from './cassandra.sink';
export type { WriteRecordResult } from './write.runner';
export {
  DEFAULT_WRITE_OPTIONS,
  buildClientOptions,
  resolveSinkOptions,
  type CassandraSinkOptions,
  type Consistency,
  type ResolvedSinkOptions,
  type ResolvedWriteOptions,
  type TableNames,
  type WriteOptions,
} from './sink.options';
export type { MigrateOptions, MigrateResult } from './schema.migration';
export { SinkError, SinkErrorCode, classifyDriverError, wrapDriverError, type ErrorClassification } from './sink.errors';
export type { SinkEvents } from './sink.events';
export { IdempotentWriteRetryPolicy } from './retry.policy';
export {
  DEFAULT_REPLICATION,
  REFERENCE_COLUMNS,
  USERS_COLUMNS,
  countCql,
  createKeyspaceCql,
  createTableCql,
  insertCql,
  type ColumnSpec,
  type ColumnType,
  type InsertCqlOptions,
  type Replication,
  type TableKind,
} from './cql.statements';
