import { Buffer } from 'node:buffer';
import { types } from 'cassandra-driver';
import type { WriteStatement, WriteTask } from './write.runner';

/**
 * Estimated server-side size of one bound value: its bytes plus the cell's
 * own overhead (timestamp, TTL, deletion time, flags). Cassandra compares the
 * sum of these over a batch ("mutation data size") with
 * `batch_size_warn_threshold` and `batch_size_fail_threshold`. Measured on
 * Cassandra 5.0: 50 rows of the `users` table with 410 bytes of values each
 * are a 47,660-byte batch, about 22 bytes of overhead per cell; 24 keeps the
 * estimate above the server's figure.
 */
const CELL_OVERHEAD_BYTES = 24;
/** Per row: partition key, row header, liveness info. */
const ROW_OVERHEAD_BYTES = 32;

/** Estimated size of a value as Cassandra counts it in a batch. */
function valueBytes(value: unknown): number {
  if (value === undefined) return 0; // unset: no cell at all
  if (value === null) return CELL_OVERHEAD_BYTES; // a tombstone cell
  if (typeof value === 'string') return CELL_OVERHEAD_BYTES + (value.length < 64 && isAscii(value) ? value.length : Buffer.byteLength(value, 'utf8'));
  if (typeof value === 'number') return CELL_OVERHEAD_BYTES + 8;
  if (value instanceof Date) return CELL_OVERHEAD_BYTES + 8;
  if (Buffer.isBuffer(value)) return CELL_OVERHEAD_BYTES + value.length;
  return CELL_OVERHEAD_BYTES + 16;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Estimated batch size of one statement (one row), in bytes. */
export function statementBytes(statement: WriteStatement): number {
  let bytes = ROW_OVERHEAD_BYTES;
  for (const value of statement.params) bytes += valueBytes(value);
  return bytes;
}

/** Estimated batch size of a record: all its statements (one per target table). */
export function taskBytes(task: WriteTask): number {
  let bytes = 0;
  for (const statement of task.statements) bytes += statementBytes(statement);
  return bytes;
}

/** Where a row's replicas are: the driver's `client.getReplicas(keyspace, routingKey)`. */
export type ReplicaLookup = (routingKey: Buffer) => readonly { address: string }[] | null | undefined;

/** How {@link planBatches} groups and bounds. */
export interface BatchPlanOptions {
  /** Most rows (statements) in one batch; a record with more statements than this goes alone. */
  maxRows: number;
  /**
   * The records the runner keeps in flight. When a wave holds fewer than
   * `recordsInFlight × maxRows` rows, its batches shrink (down to single
   * records) so that it still spreads over about that many records in
   * flight. Cassandra applies the rows of a batch one after the other, and
   * with a durable commit log each waits for its own sync: a few records in
   * one batch would wait for each other, while as separate requests they
   * share the same sync. Under load waves are large and batches full.
   * Omit to always fill batches up to `maxRows`.
   */
  recordsInFlight?: number;
  /** Most estimated bytes in one batch; a record bigger than this goes alone. */
  maxBytes: number;
  /**
   * Finds the replicas of a row, or nothing when the token map is unknown
   * (then every row is one group). Omit on a one-node cluster: one group.
   */
  replicasOf?: ReplicaLookup;
}

/**
 * Splits `tasks` into the units the runner sends, in order:
 *
 * 1. waves: the first occurrence of each id, then the second, and so on, so
 *    that two records with the same id never share a batch (inside a batch,
 *    two writes to one row carry the same timestamp and the larger value wins,
 *    not the later one) and a later duplicate is written after the earlier;
 * 2. in each wave, groups of rows with the same replica set (token-aware:
 *    a batch then goes to a coordinator that owns every row in it, and costs
 *    no extra hop); on one node everything is one group;
 * 3. in each group, runs of at most `maxRows` rows and `maxBytes` estimated
 *    bytes. A record on its own is a unit of one task (sent as a plain
 *    statement).
 *
 * @returns waves of units; each unit is a list of tasks.
 */
export function planBatches(tasks: readonly WriteTask[], options: BatchPlanOptions): WriteTask[][][] {
  const waves: WriteTask[][] = [];
  const seen = new Map<string, number>();
  for (const task of tasks) {
    const key = task.id.toLowerCase();
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    (waves[n] ??= []).push(task);
  }
  return waves.map((wave) => {
    const units: WriteTask[][] = [];
    const maxRows = batchRowsFor(wave, options);
    for (const group of groupByReplicas(wave, options.replicasOf)) units.push(...chunk(group, maxRows, options.maxBytes));
    return units;
  });
}

/** The batch size for a wave: `maxRows`, or fewer when the wave is small for the records in flight. */
export function batchRowsFor(wave: readonly WriteTask[], options: Pick<BatchPlanOptions, 'maxRows' | 'recordsInFlight'>): number {
  if (options.recordsInFlight === undefined) return options.maxRows;
  let rows = 0;
  for (const task of wave) rows += task.statements.length;
  return Math.min(options.maxRows, Math.max(1, Math.ceil(rows / options.recordsInFlight)));
}

function groupByReplicas(tasks: WriteTask[], replicasOf: ReplicaLookup | undefined): WriteTask[][] {
  if (!replicasOf) return [tasks];
  const groups = new Map<string, WriteTask[]>();
  const keys = new WeakMap<object, string>();
  for (const task of tasks) {
    const replicas = replicasOf(routingKeyOf(task.id));
    let key = '';
    if (replicas && replicas.length > 0) {
      // The driver returns one cached array per token range: name it once.
      key = keys.get(replicas) ?? '';
      if (key === '') {
        key = replicas
          .map((host) => host.address)
          .sort()
          .join(',');
        keys.set(replicas, key);
      }
    }
    const group = groups.get(key);
    if (group) group.push(task);
    else groups.set(key, [task]);
  }
  return [...groups.values()];
}

/** The serialized partition key (`id uuid`) the driver hashes to a token. */
export function routingKeyOf(id: string): Buffer {
  return types.Uuid.fromString(id).getBuffer();
}

function chunk(tasks: WriteTask[], maxRows: number, maxBytes: number): WriteTask[][] {
  const units: WriteTask[][] = [];
  let current: WriteTask[] = [];
  let rows = 0;
  let bytes = 0;
  for (const task of tasks) {
    const taskRows = task.statements.length;
    const size = taskBytes(task);
    if (current.length > 0 && (rows + taskRows > maxRows || bytes + size > maxBytes)) {
      units.push(current);
      current = [];
      rows = 0;
      bytes = 0;
    }
    current.push(task);
    rows += taskRows;
    bytes += size;
  }
  if (current.length > 0) units.push(current);
  return units;
}
