import { ConfigError } from '@userstream/core';

/** The CQL types of the sink's columns. */
export type ColumnType = 'uuid' | 'text' | 'double' | 'int' | 'timestamp';

/** One column of a sink table; `name` is also the record field it is read from. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/** Which of the two tables: the reference pipeline's twelve-column table, or our own v2 table. */
export type TableKind = 'reference' | 'users';

/** The twelve v1 fields, in schema order. */
const V1_COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', type: 'uuid' },
  ...['first_name', 'last_name', 'gender', 'address', 'postcode', 'email', 'username', 'dob', 'registered_date', 'phone', 'picture'].map((name) => ({
    name,
    type: 'text' as const,
  })),
];

/**
 * Columns of the reference table (`spark_streams.users_created` in the
 * reference pipeline): `id uuid PRIMARY KEY` and eleven `text` columns.
 */
export const REFERENCE_COLUMNS: readonly ColumnSpec[] = V1_COLUMNS;

/** Columns of the `users` table: v1 plus the v2 fields, `ingested_at` as `timestamp`. */
export const USERS_COLUMNS: readonly ColumnSpec[] = [
  ...V1_COLUMNS,
  { name: 'title', type: 'text' },
  { name: 'nationality', type: 'text' },
  { name: 'cell', type: 'text' },
  { name: 'city', type: 'text' },
  { name: 'state', type: 'text' },
  { name: 'country', type: 'text' },
  { name: 'latitude', type: 'double' },
  { name: 'longitude', type: 'double' },
  { name: 'timezone_offset', type: 'text' },
  { name: 'timezone_description', type: 'text' },
  { name: 'age', type: 'int' },
  { name: 'picture_medium', type: 'text' },
  { name: 'picture_thumbnail', type: 'text' },
  { name: 'ingested_at', type: 'timestamp' },
];

/** The columns of `kind`. */
export function columnsOf(kind: TableKind): readonly ColumnSpec[] {
  return kind === 'reference' ? REFERENCE_COLUMNS : USERS_COLUMNS;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/**
 * Checks a keyspace or table name and returns it lower-cased, which is what
 * CQL does with an unquoted name. Throws {@link ConfigError} for anything
 * that is not a plain identifier (letter first, then letters, digits or `_`,
 * at most 48 characters).
 */
export function normalizeIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new ConfigError(`${what}: must start with a letter and contain only letters, digits and _ (at most 48 characters) (got ${JSON.stringify(name)})`);
  }
  return name.toLowerCase();
}

/** Double-quotes a normalized identifier so reserved words (e.g. `table`) still work. */
function q(identifier: string): string {
  return `"${identifier}"`;
}

/** `"keyspace"."table"` */
export function qualifiedName(keyspace: string, table: string): string {
  return `${q(keyspace)}.${q(table)}`;
}

/** Replication of a keyspace created by `migrate`. */
export type Replication = { class: 'SimpleStrategy'; replicationFactor: number } | { class: 'NetworkTopologyStrategy'; dataCenters: Record<string, number> };

/** `SimpleStrategy` with replication factor 1: the reference pipeline's setting, right for one local node. */
export const DEFAULT_REPLICATION: Replication = { class: 'SimpleStrategy', replicationFactor: 1 };

function cqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * `CREATE KEYSPACE IF NOT EXISTS "ks" WITH replication = {...}`. Names must
 * already be normalized (see the sink options).
 *
 * @example
 * ```ts
 * createKeyspaceCql('userstream', { class: 'NetworkTopologyStrategy', dataCenters: { dc1: 3 } });
 * // CREATE KEYSPACE IF NOT EXISTS "userstream" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}
 * ```
 */
export function createKeyspaceCql(keyspace: string, replication: Replication): string {
  const map =
    replication.class === 'SimpleStrategy'
      ? `'class': 'SimpleStrategy', 'replication_factor': ${replication.replicationFactor}`
      : [`'class': 'NetworkTopologyStrategy'`, ...Object.entries(replication.dataCenters).map(([dc, rf]) => `${cqlString(dc)}: ${rf}`)].join(', ');
  return `CREATE KEYSPACE IF NOT EXISTS ${q(keyspace)} WITH replication = {${map}}`;
}

/**
 * `CREATE TABLE IF NOT EXISTS "ks"."table" (id uuid PRIMARY KEY, ...)` with
 * the columns of `kind` ({@link REFERENCE_COLUMNS} or {@link USERS_COLUMNS}).
 * Useful to create the tables with cqlsh instead of `migrate()`.
 *
 * @example
 * ```ts
 * createTableCql('spark_streams', 'users_created', 'reference');
 * // CREATE TABLE IF NOT EXISTS "spark_streams"."users_created" (id uuid PRIMARY KEY, first_name text, ...)
 * ```
 */
export function createTableCql(keyspace: string, table: string, kind: TableKind): string {
  const columns = columnsOf(kind).map((c) => (c.name === 'id' ? 'id uuid PRIMARY KEY' : `${c.name} ${c.type}`));
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(keyspace, table)} (${columns.join(', ')})`;
}

/** `ALTER TABLE "ks"."table" ADD column type`, used to bring an older table up to date. */
export function addColumnCql(keyspace: string, table: string, column: ColumnSpec): string {
  return `ALTER TABLE ${qualifiedName(keyspace, table)} ADD ${column.name} ${column.type}`;
}

/** Options that change the text of an upsert. */
export interface InsertCqlOptions {
  /** Adds `USING TIMESTAMP ?` (bound per row, microseconds). */
  timestamp?: boolean;
  /** Adds `USING TTL <n>` (seconds, a literal: it is the same for every row). */
  ttlSeconds?: number;
}

/**
 * The prepared upsert for `kind`: `INSERT INTO "ks"."table" (cols) VALUES (?, ...)`
 * with optional `USING TIMESTAMP ?` and `TTL n`. INSERT in Cassandra is an
 * upsert, so writing the same record twice leaves one row.
 *
 * @example
 * ```ts
 * insertCql('ks', 'users_created', 'reference', { ttlSeconds: 60 });
 * // INSERT INTO "ks"."users_created" (id, first_name, ..., picture) VALUES (?, ..., ?) USING TTL 60
 * ```
 */
export function insertCql(keyspace: string, table: string, kind: TableKind, options: InsertCqlOptions = {}): string {
  const columns = columnsOf(kind).map((c) => c.name);
  const using: string[] = [];
  if (options.timestamp) using.push('TIMESTAMP ?');
  if (options.ttlSeconds !== undefined && options.ttlSeconds > 0) using.push(`TTL ${options.ttlSeconds}`);
  const suffix = using.length > 0 ? ` USING ${using.join(' AND ')}` : '';
  return `INSERT INTO ${qualifiedName(keyspace, table)} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${suffix}`;
}

/** `SELECT COUNT(*) FROM "ks"."table"` (a full scan; see `CassandraSink.countRows`). */
export function countCql(keyspace: string, table: string): string {
  return `SELECT COUNT(*) FROM ${qualifiedName(keyspace, table)}`;
}

/** Reads the column names and types of an existing table (empty when the table does not exist). */
export const TABLE_COLUMNS_CQL = 'SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?';
