import { types } from 'cassandra-driver';
import { columnsOf, type ColumnSpec, type TableKind } from './cql.statements';
import { SinkError, SinkErrorCode } from './sink.errors';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** True when `value` is a UUID in its canonical 8-4-4-4-12 hex form. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}

/**
 * Converts one field to the value bound for its column, or returns a reason
 * it cannot be written. `undefined` binds as "unset" (the column is left as it
 * is, no tombstone); `null` binds as null (the column is cleared).
 */
function bindValue(column: ColumnSpec, value: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  switch (column.type) {
    case 'uuid':
      return isUuid(value) ? { ok: true, value } : { ok: false, reason: `${column.name} must be a UUID (got ${show(value)})` };
    case 'text':
      if (value === undefined || value === null || typeof value === 'string') return { ok: true, value };
      return { ok: false, reason: `${column.name} must be a string or null (got ${show(value)})` };
    case 'double':
      if (value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value))) return { ok: true, value };
      return { ok: false, reason: `${column.name} must be a finite number or null (got ${show(value)})` };
    case 'int':
      if (value === undefined || value === null) return { ok: true, value };
      if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return { ok: true, value };
      return { ok: false, reason: `${column.name} must be a 32-bit integer or null (got ${show(value)})` };
    case 'timestamp':
      // 0 means "unknown" in the record contract: leave the column unset rather than store 1970.
      if (value === undefined || value === null || value === 0) return { ok: true, value: undefined };
      if (typeof value === 'number' && Number.isFinite(value) && value > 0) return { ok: true, value: new Date(Math.trunc(value)) };
      return { ok: false, reason: `${column.name} must be a non-negative number of milliseconds (got ${show(value)})` };
  }
}

/**
 * The write timestamp for `USING TIMESTAMP ?`: `ingested_at` (ms) in
 * microseconds, or `undefined` (unset: Cassandra uses the request's own
 * timestamp) when the record has none.
 */
export function writeTimestampMicros(record: object): types.Long | undefined {
  const ms = (record as { ingested_at?: unknown }).ingested_at;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return undefined;
  return types.Long.fromNumber(Math.trunc(ms)).multiply(1000);
}

/** The bound values of one record for each table, or why it cannot be written. */
export type BoundRecord = { ok: true; params: Map<TableKind, unknown[]> } | { ok: false; error: SinkError };

/**
 * Validates `record` against the columns of every table in `kinds` and builds
 * the parameters of the prepared upserts, in column order, plus the write
 * timestamp when `withTimestamp` is set. Invalid records come back as a
 * non-retriable {@link SinkError} with code `SINK_INVALID_RECORD`.
 */
export function bindRecord(record: unknown, index: number, kinds: readonly TableKind[], withTimestamp: boolean): BoundRecord {
  if (typeof record !== 'object' || record === null) {
    return { ok: false, error: invalid(index, undefined, [`record must be an object (got ${show(record)})`]) };
  }
  const fields = record as Record<string, unknown>;
  const params = new Map<TableKind, unknown[]>();
  const problems: string[] = [];
  const timestamp = withTimestamp ? writeTimestampMicros(record) : undefined;
  if (withTimestamp) {
    const ms = fields['ingested_at'];
    if (ms !== undefined && ms !== null && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) {
      problems.push(`ingested_at must be a non-negative number of milliseconds (got ${show(ms)})`);
    }
  }
  for (const kind of kinds) {
    const columns = columnsOf(kind);
    const values: unknown[] = new Array(columns.length + (withTimestamp ? 1 : 0));
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as ColumnSpec;
      const bound = bindValue(column, fields[column.name]);
      if (bound.ok) values[i] = bound.value;
      else if (!problems.includes(bound.reason)) problems.push(bound.reason);
    }
    if (withTimestamp) values[columns.length] = timestamp;
    params.set(kind, values);
  }
  if (problems.length > 0) return { ok: false, error: invalid(index, fields['id'], problems) };
  return { ok: true, params };
}

function invalid(index: number, id: unknown, problems: string[]): SinkError {
  return new SinkError(`record ${index}: ${problems.join('; ')}`, {
    code: SinkErrorCode.INVALID_RECORD,
    retriable: false,
    details: { index, id: typeof id === 'string' ? id : undefined, problems },
  });
}
