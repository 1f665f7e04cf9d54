// Over 400 lines: every sink option with its documentation, default and check in one place, so they cannot drift apart.
import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import { policies, types, type DseClientOptions } from 'cassandra-driver';
import { ConfigError, OptionsChecker, describeError, type Logger } from '@userstream/core';
import { DEFAULT_REPLICATION, normalizeIdentifier, type Replication, type TableKind } from './cql.statements';
import { IdempotentWriteRetryPolicy } from './retry.policy';

/** Write consistency levels the sink accepts. */
export type Consistency = 'ANY' | 'ONE' | 'TWO' | 'THREE' | 'QUORUM' | 'ALL' | 'LOCAL_QUORUM' | 'EACH_QUORUM' | 'LOCAL_ONE';

const CONSISTENCIES: Record<Consistency, types.consistencies> = {
  ANY: types.consistencies.any,
  ONE: types.consistencies.one,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  ALL: types.consistencies.all,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  LOCAL_ONE: types.consistencies.localOne,
};

/** Names of the two tables; see the README for their columns. */
export interface TableNames {
  /** The reference pipeline's table (`id uuid PRIMARY KEY` + eleven `text`). Default `users_created`. */
  reference?: string;
  /** Our own table with the v2 fields. Default `users`. */
  users?: string;
}

/**
 * How `writeBatch` writes. Set defaults for every batch in
 * `CassandraSinkOptions.write`; override per call in `writeBatch(records, options)`.
 */
export interface WriteOptions {
  /** Tables each record is written to. Default `['users']`; add `'reference'` to also fill the reference table. */
  tables?: TableKind[];
  /**
   * Records in flight at once. Single-row mode keeps this many requests
   * going (fixed worker slots, like the driver's `executeConcurrent`); the
   * batched mode sends batches while the records they hold stay within it,
   * and makes its batches smaller when a call has fewer records than
   * `concurrency × batchRows` (see `planBatches`). Default 256, 1 to 4096.
   */
  concurrency?: number;
  /**
   * Most rows in one UNLOGGED batch (a record written to two tables is two
   * rows). Records are grouped by replica set first, so a batch only holds
   * rows that live on the same nodes. 1 writes every record with its own
   * statements (single-row mode). Default 32, 1 to 1000.
   */
  batchRows?: number;
  /**
   * Most estimated bytes in one batch, as Cassandra counts a batch's size
   * (values plus about 24 bytes per cell). Keep it below the server's
   * `batch_size_fail_threshold` (50 KiB by default), which refuses larger
   * batches. Default 40 960, 1 024 to 268 435 456.
   */
  batchBytes?: number;
  /**
   * Adds `USING TIMESTAMP` with the record's `ingested_at` in microseconds, so a
   * replayed older record never overwrites a newer one. Records without
   * `ingested_at` (v1, or 0) get the request's own timestamp. Default `false`.
   */
  timestampFromIngestedAt?: boolean;
  /** Adds `USING TTL` (seconds, 1 to 630 720 000). Default: no TTL. */
  ttlSeconds?: number;
  /** Attempts per record, including the first, for retriable failures. Default 5. */
  maxAttempts?: number;
  /** No retry starts after this many milliseconds from the start of the batch. Default 30 000. */
  deadlineMs?: number;
  /** First backoff cap in milliseconds (exponential, full jitter). Default 100. */
  initialDelayMs?: number;
  /** Largest backoff in milliseconds. Default 5 000. */
  maxDelayMs?: number;
  /**
   * When a record runs out of attempts on a retriable failure, stop starting
   * new records (they are reported `SINK_NOT_ATTEMPTED`, retriable) so a dead
   * cluster is not hammered record by record. Default `true`.
   */
  stopOnExhausted?: boolean;
}

/**
 * Options of {@link CassandraSink}. Only `contactPoints`, `localDataCenter` and
 * `keyspace` are required.
 */
export interface CassandraSinkOptions {
  /** `host` or `host:port` (`[v6]:port` for IPv6). Port 9042 when omitted. */
  contactPoints: string[];
  /** The data center of the nodes to write to, e.g. `datacenter1`. */
  localDataCenter: string;
  /** Keyspace of the tables (created by `migrate`). Lower-cased like an unquoted CQL name. */
  keyspace: string;
  /** Table names. Defaults: `users_created` (reference), `users`. */
  tableNames?: TableNames;
  /** Plain-text authentication. */
  credentials?: { username: string; password: string };
  /**
   * TLS to the nodes: `true` for the system CAs with certificate checks, or
   * Node `tls` options (`ca`, `cert`, `key`, `servername`, ...). Certificates
   * are verified unless you pass `rejectUnauthorized: false`. Default off.
   */
  ssl?: boolean | ConnectionOptions;
  /** Consistency of writes and reads. Default `LOCAL_QUORUM` (one replica at RF 1, so the same as `LOCAL_ONE` on a dev node). */
  consistency?: Consistency;
  /**
   * Per-request timeout in the driver (`socketOptions.readTimeout`),
   * milliseconds: a write not answered by then is retried on the next node.
   * Above Cassandra's own `write_request_timeout` (2 s), so a live
   * coordinator's answer (even a WriteTimeout) always comes first.
   * Default 5 000 (the driver's is 12 000).
   */
  requestTimeoutMs?: number;
  /**
   * Speculative execution: when a write has had no answer for this many
   * milliseconds, the driver sends it once more, to the next node, and takes
   * the first answer. Every write of the sink is an idempotent upsert, so the
   * two copies land as one row; schema changes are never sent twice. It is
   * what keeps a node that hangs (a long GC pause, a frozen VM, a cut
   * network: the socket stays open) from holding writes for the whole
   * `requestTimeoutMs`. Set it above the usual p99 write latency; 0 turns it
   * off. Default 1 000.
   */
  speculativeDelayMs?: number;
  /** TCP/TLS connect timeout in milliseconds. Default 5 000. */
  connectTimeoutMs?: number;
  /** Connections to each local node. Default 1 (each carries up to `maxRequestsPerConnection`). */
  connectionsPerHost?: number;
  /** In-flight requests per connection (protocol v3+ allows 2048). Default 2048. */
  maxRequestsPerConnection?: number;
  /** Defaults for every `writeBatch`. */
  write?: WriteOptions;
  /** Pino-compatible logger; the sink logs through a `component: 'cassandra-sink'` child. */
  logger?: Logger;
}

/** {@link WriteOptions} with every default filled in. */
export type ResolvedWriteOptions = Required<WriteOptions>;

/** Options after validation, with defaults. */
export interface ResolvedSinkOptions {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  tableNames: Required<TableNames>;
  credentials?: { username: string; password: string };
  ssl?: ConnectionOptions;
  consistency: Consistency;
  requestTimeoutMs: number;
  speculativeDelayMs: number;
  connectTimeoutMs: number;
  connectionsPerHost: number;
  maxRequestsPerConnection: number;
  write: ResolvedWriteOptions;
  logger?: Logger;
}

/**
 * Default write options: `users` table only, UNLOGGED batches of up to 32
 * rows and 40 KiB, 256 records in flight, no
 * `USING TIMESTAMP`/TTL, 5 attempts within 30 s, backoff 100 ms to 5 s,
 * stop the batch when a record exhausts its retries.
 */
export const DEFAULT_WRITE_OPTIONS: ResolvedWriteOptions = Object.freeze({
  tables: ['users'] as TableKind[],
  concurrency: 256,
  batchRows: 32,
  batchBytes: 40_960,
  timestampFromIngestedAt: false,
  ttlSeconds: 0,
  maxAttempts: 5,
  deadlineMs: 30_000,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  stopOnExhausted: true,
});

const SPECULATIVE_DEFAULT_MS = 1_000;

const MAX_TTL_SECONDS = 630_720_000; // 20 years: Cassandra's limit

/** A Cassandra identifier option: the problem is recorded, the value `undefined` when it is not one. */
function identifier(problems: OptionsChecker, path: string, value: unknown): string | undefined {
  try {
    return normalizeIdentifier(value, path);
  } catch (error) {
    problems.add('', describeError(error));
    return undefined;
  }
}

/**
 * Checks one contact point: `host`, `host:port`, `[ipv6]:port` or a bare IPv6
 * address. Returns a problem description, or `undefined` when it is fine.
 */
export function contactPointProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty "host" or "host:port" string';
  if (/\s/.test(value)) return 'must not contain spaces';
  let host = value;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1] as string;
    port = bracketed[2];
    if (isIP(host) !== 6) return 'brackets must hold an IPv6 address';
  } else if (isIP(value) === 6) {
    return undefined;
  } else if (value.includes(':')) {
    const parts = value.split(':');
    if (parts.length !== 2) return 'IPv6 addresses with a port must be written [address]:port';
    host = parts[0] as string;
    port = parts[1];
  }
  if (host === '') return 'host is empty';
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535) return `port must be an integer from 1 to 65535 (got ${JSON.stringify(port)})`;
  }
  return undefined;
}

function resolveTables(problems: OptionsChecker, path: string, value: unknown): TableKind[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.some((t) => t !== 'reference' && t !== 'users')) {
    problems.add('', `${path}: must be a non-empty list of 'reference' and/or 'users' (got ${JSON.stringify(value)})`);
    return undefined;
  }
  return [...new Set(value as TableKind[])];
}

function resolveWriteInto(problems: OptionsChecker, path: string, value: unknown, base: ResolvedWriteOptions): ResolvedWriteOptions {
  if (value === undefined) return base;
  if (typeof value !== 'object' || value === null) {
    problems.add('', `${path}: must be an object`);
    return base;
  }
  const w = value as WriteOptions;
  const out: ResolvedWriteOptions = {
    tables: resolveTables(problems, `${path}.tables`, w.tables) ?? base.tables,
    concurrency: problems.int(`${path}.concurrency`, w.concurrency, { min: 1, max: 4096 }) ?? base.concurrency,
    batchRows: problems.int(`${path}.batchRows`, w.batchRows, { min: 1, max: 1000 }) ?? base.batchRows,
    batchBytes: problems.int(`${path}.batchBytes`, w.batchBytes, { min: 1024, max: 268_435_456 }) ?? base.batchBytes,
    timestampFromIngestedAt: problems.bool(`${path}.timestampFromIngestedAt`, w.timestampFromIngestedAt) ?? base.timestampFromIngestedAt,
    ttlSeconds: problems.int(`${path}.ttlSeconds`, w.ttlSeconds, { min: 0, max: MAX_TTL_SECONDS }) ?? base.ttlSeconds,
    maxAttempts: problems.int(`${path}.maxAttempts`, w.maxAttempts, { min: 1, max: 1000 }) ?? base.maxAttempts,
    deadlineMs: problems.int(`${path}.deadlineMs`, w.deadlineMs, { min: 0, max: 86_400_000 }) ?? base.deadlineMs,
    initialDelayMs: problems.int(`${path}.initialDelayMs`, w.initialDelayMs, { min: 0, max: 600_000 }) ?? base.initialDelayMs,
    maxDelayMs: problems.int(`${path}.maxDelayMs`, w.maxDelayMs, { min: 0, max: 600_000 }) ?? base.maxDelayMs,
    stopOnExhausted: problems.bool(`${path}.stopOnExhausted`, w.stopOnExhausted) ?? base.stopOnExhausted,
  };
  if (out.initialDelayMs > out.maxDelayMs) problems.add('', `${path}: initialDelayMs (${out.initialDelayMs}) must not exceed maxDelayMs (${out.maxDelayMs})`);
  return out;
}

/**
 * Merges per-call write options over the sink's defaults. Throws
 * {@link ConfigError} naming every invalid field.
 */
export function resolveWriteOptions(base: ResolvedWriteOptions, overrides: WriteOptions | undefined, context = 'writeBatch options'): ResolvedWriteOptions {
  const problems = new OptionsChecker('invalid write options');
  const out = resolveWriteInto(problems, context, overrides, base);
  problems.done();
  return out;
}

/**
 * Validates {@link CassandraSinkOptions} and fills in defaults. The sink
 * calls it in its constructor; call it yourself to check configuration early.
 *
 * @throws ConfigError naming every invalid field at once.
 * @example
 * ```ts
 * const resolved = resolveSinkOptions({ contactPoints: ['db:9042'], localDataCenter: 'dc1', keyspace: 'userstream' });
 * resolved.write.batchRows; // 32
 * ```
 */
export function resolveSinkOptions(options: CassandraSinkOptions): ResolvedSinkOptions {
  const problems = new OptionsChecker('invalid Cassandra sink options');
  if (typeof options !== 'object' || options === null) throw new ConfigError('invalid Cassandra sink options: options must be an object');
  const o = options as Partial<CassandraSinkOptions>;

  const contactPoints: string[] = [];
  if (!Array.isArray(o.contactPoints) || o.contactPoints.length === 0) {
    problems.add('', 'contactPoints: must list at least one "host" or "host:port"');
  } else {
    o.contactPoints.forEach((cp, i) => {
      const problem = contactPointProblem(cp);
      if (problem) problems.add('', `contactPoints[${i}]: ${problem} (got ${JSON.stringify(cp)})`);
      else contactPoints.push(cp);
    });
  }
  if (typeof o.localDataCenter !== 'string' || o.localDataCenter.trim() === '') {
    problems.add('', 'localDataCenter: required, the data center of the local nodes (e.g. "datacenter1")');
  }
  const keyspace = identifier(problems, 'keyspace', o.keyspace);
  const names = o.tableNames ?? {};
  const tableNames = {
    reference: names.reference === undefined ? 'users_created' : identifier(problems, 'tableNames.reference', names.reference),
    users: names.users === undefined ? 'users' : identifier(problems, 'tableNames.users', names.users),
  };
  if (tableNames.reference !== undefined && tableNames.reference === tableNames.users) {
    problems.add('', `tableNames: reference and users must differ (both ${JSON.stringify(tableNames.users)})`);
  }
  if (o.credentials !== undefined) {
    const c = o.credentials as Partial<{ username: unknown; password: unknown }> | null;
    if (typeof c !== 'object' || c === null || typeof c.username !== 'string' || c.username === '' || typeof c.password !== 'string') {
      problems.add('', 'credentials: must be { username: non-empty string, password: string }');
    }
  }
  let ssl: ConnectionOptions | undefined;
  if (o.ssl === true) ssl = { rejectUnauthorized: true };
  else if (typeof o.ssl === 'object' && o.ssl !== null) ssl = { rejectUnauthorized: true, ...o.ssl };
  else if (o.ssl !== undefined && o.ssl !== false) problems.add('', 'ssl: must be true, false or Node tls options');
  if (o.consistency !== undefined && !Object.hasOwn(CONSISTENCIES, o.consistency)) {
    problems.add('', `consistency: must be one of ${Object.keys(CONSISTENCIES).join(', ')} (got ${JSON.stringify(o.consistency)})`);
  }
  const requestTimeoutMs = problems.int('requestTimeoutMs', o.requestTimeoutMs, { min: 1, max: 600_000 }) ?? 5_000;
  const speculativeDelayMs = problems.int('speculativeDelayMs', o.speculativeDelayMs, { min: 0, max: 600_000 }) ?? SPECULATIVE_DEFAULT_MS;
  const connectTimeoutMs = problems.int('connectTimeoutMs', o.connectTimeoutMs, { min: 1, max: 600_000 }) ?? 5_000;
  const connectionsPerHost = problems.int('connectionsPerHost', o.connectionsPerHost, { min: 1, max: 64 }) ?? 1;
  const maxRequestsPerConnection = problems.int('maxRequestsPerConnection', o.maxRequestsPerConnection, { min: 1, max: 32_768 }) ?? 2048;
  const write = resolveWriteInto(problems, 'write', o.write, DEFAULT_WRITE_OPTIONS);
  if (o.logger !== undefined && (typeof o.logger !== 'object' || o.logger === null || typeof o.logger.child !== 'function')) {
    problems.add('', 'logger: must be a pino-compatible logger');
  }
  problems.done();

  return {
    contactPoints,
    localDataCenter: (o.localDataCenter as string).trim(),
    keyspace: keyspace as string,
    tableNames: tableNames as Required<TableNames>,
    credentials: o.credentials,
    ssl,
    consistency: o.consistency ?? 'LOCAL_QUORUM',
    requestTimeoutMs,
    speculativeDelayMs,
    connectTimeoutMs,
    connectionsPerHost,
    maxRequestsPerConnection,
    write,
    logger: o.logger,
  };
}

/**
 * The cassandra-driver `Client` options for resolved sink options: prepared,
 * idempotent statements at the chosen consistency; a pool that allows many
 * requests in flight; {@link IdempotentWriteRetryPolicy}. No keyspace is set
 * on the session (statements name it), so connecting works before `migrate`
 * has created it.
 *
 * @example
 * ```ts
 * const driverOptions = buildClientOptions(resolveSinkOptions(options));
 * driverOptions.queryOptions; // { prepare: true, isIdempotent: true, consistency: 6, captureStackTrace: false }
 * ```
 */
export function buildClientOptions(options: ResolvedSinkOptions): DseClientOptions {
  return {
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    ...(options.ssl ? { sslOptions: options.ssl } : {}),
    queryOptions: {
      prepare: true,
      isIdempotent: true,
      consistency: CONSISTENCIES[options.consistency],
      // Stack traces per request cost time and say nothing the wrapped error does not.
      captureStackTrace: false,
    },
    pooling: {
      coreConnectionsPerHost: {
        [types.distance.local]: options.connectionsPerHost,
        [types.distance.remote]: 1,
      },
      maxRequestsPerConnection: options.maxRequestsPerConnection,
    },
    protocolOptions: {
      // The driver would wait up to 10 s after each schema change for every node it has ever seen,
      // dead ones included; migrate() waits for the live nodes itself (see schema.migration.ts).
      maxSchemaAgreementWaitSeconds: 0,
    },
    socketOptions: {
      connectTimeout: options.connectTimeoutMs,
      readTimeout: options.requestTimeoutMs,
    },
    policies: {
      retry: new IdempotentWriteRetryPolicy(),
      ...(options.speculativeDelayMs > 0
        ? { speculativeExecution: new policies.speculativeExecution.ConstantSpeculativeExecutionPolicy(options.speculativeDelayMs, 1) }
        : {}),
    },
  };
}

/** Validates a replication setting. Throws {@link ConfigError}. */
export function resolveReplication(value: Replication | undefined): Replication {
  if (value === undefined) return DEFAULT_REPLICATION;
  const problems = new OptionsChecker('invalid migrate options');
  if (typeof value !== 'object' || value === null) {
    problems.add('', 'replication: must be an object');
  } else if (value.class === 'SimpleStrategy') {
    if (value.replicationFactor === undefined) problems.add('', 'replication.replicationFactor: required');
    else problems.int('replication.replicationFactor', value.replicationFactor, { min: 1, max: 100 });
  } else if (value.class === 'NetworkTopologyStrategy') {
    const dcs = value.dataCenters;
    if (typeof dcs !== 'object' || dcs === null || Object.keys(dcs).length === 0) {
      problems.add('', 'replication.dataCenters: must map at least one data center to its replication factor');
    } else {
      for (const [dc, rf] of Object.entries(dcs)) {
        if (dc.trim() === '') problems.add('', 'replication.dataCenters: data center names must not be empty');
        problems.int(`replication.dataCenters[${JSON.stringify(dc)}]`, rf, { min: 0, max: 100 });
      }
    }
  } else {
    problems.add('', `replication.class: must be 'SimpleStrategy' or 'NetworkTopologyStrategy' (got ${JSON.stringify((value as { class?: unknown }).class)})`);
  }
  problems.done();
  return value;
}
