// Over 400 lines: the sink's one public class (connect, migrate, write, count, ping, close), whose methods share one driver session.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Client } from 'cassandra-driver';
import { componentLogger, TaskSet, TypedEmitter, type Logger } from '@userstream/core';
import type { UserRecordV1, UserRecordV2 } from '@userstream/user-schema';
import { countCql, insertCql, type TableKind } from './cql.statements';
import { bindRecord } from './record.mapping';
import { runMigration, type MigrateOptions, type MigrateResult } from './schema.migration';
import { SinkError, SinkErrorCode, wrapDriverError } from './sink.errors';
import type { SinkEvents } from './sink.events';
import {
  buildClientOptions,
  resolveReplication,
  resolveSinkOptions,
  resolveWriteOptions,
  type CassandraSinkOptions,
  type ResolvedSinkOptions,
  type WriteOptions,
} from './sink.options';
import { failedResult, runBatchedWrites, runWrites, type WriteRecordResult, type WriteStatement, type WriteTask } from './write.runner';
import { planBatches, type ReplicaLookup } from './batch.planner';

/** Per-call options of {@link CassandraSink.writeBatch}: the write options plus cancellation. */
export interface WriteBatchOptions extends WriteOptions {
  /** Stops starting new records; those not started are reported `SINK_NOT_ATTEMPTED` (retriable). */
  signal?: AbortSignal;
}

/** The outcome of {@link CassandraSink.writeBatch}. */
export interface WriteBatchResult {
  /** One result per input record, in input order (`results[i].index === i`). */
  results: WriteRecordResult[];
  /** Records written to every target table. */
  written: number;
  /** Records not written (`failed === results.length - written`). */
  failed: number;
  /** Failed records that may succeed later: pause and write them (or the whole batch) again. */
  retriableFailures: number;
  /** Wall time of the batch in milliseconds. */
  durationMs: number;
  /** Names of the tables written. */
  tables: string[];
  /** UNLOGGED batches sent (0 in single-row mode), retries not counted. */
  batches: number;
  /** Batches Cassandra refused for good, whose records were then written one by one. */
  fallbacks: number;
}

/**
 * A Cassandra sink for user records: idempotent prepared upserts keyed by the
 * user id, many in flight, with a result per record. Lifecycle follows the
 * Benthos output contract: `connect()`, `writeBatch()` any number of times,
 * `close()`. `writeBatch` before `connect` (or after `close`) throws a
 * retriable `SINK_NOT_CONNECTED`: call `connect()` and try again.
 *
 * @example
 * ```ts
 * const sink = new CassandraSink({ contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1', keyspace: 'userstream' });
 * await sink.connect();
 * await sink.migrate();
 * const result = await sink.writeBatch(records);
 * const retry = result.results.filter((r) => r.status === 'failed' && r.retriable);
 * await sink.close();
 * ```
 */
export class CassandraSink {
  /** Typed events; see {@link SinkEvents}. */
  readonly events = new TypedEmitter<SinkEvents>();
  private readonly options: ResolvedSinkOptions;
  private readonly log: Logger;
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  /** Aborted by `close()`: running batches start no new records and stop retrying. */
  private lifecycle = unboundedController();
  private readonly activeBatches = new TaskSet();
  private batchWarningLogged = false;

  /** @throws ConfigError naming every invalid option. */
  constructor(options: CassandraSinkOptions) {
    this.options = resolveSinkOptions(options);
    this.log = componentLogger(this.options.logger, 'cassandra-sink');
  }

  /** The keyspace of the tables (lower-cased). */
  get keyspace(): string {
    return this.options.keyspace;
  }

  /** True between a successful `connect()` and `close()`. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** The configured name of a table kind (`users_created` / `users` by default). */
  tableName(kind: TableKind): string {
    return this.options.tableNames[kind];
  }

  /**
   * Creates the driver session. Safe to call again (no-op when connected;
   * concurrent calls share one attempt). Does not need the keyspace to exist.
   *
   * @throws SinkError `SINK_CONNECT_FAILED` ("creating Cassandra session: ..."),
   *   retriable when no host could be reached, not retriable for bad
   *   credentials or an unknown local data center.
   */
  async connect(): Promise<void> {
    if (this.client) return;
    if (this.connecting) return this.connecting;
    this.connecting = this.createSession().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async createSession(): Promise<void> {
    const started = performance.now();
    const client = new Client(buildClientOptions(this.options));
    // The driver narrates connections, hosts going down and up and retries at `info`, and every request at
    // `verbose`: ours at debug and trace, for finding out where time goes when a node dies.
    const narrate = { info: levelEnabled(this.log, 'debug'), verbose: levelEnabled(this.log, 'trace') };
    client.on('log', (level: string, className: string, message: string) => {
      if (level === 'info' || level === 'verbose') {
        if (level === 'info' && narrate.info) this.log.debug({ driver: className }, message);
        else if (level === 'verbose' && narrate.verbose) this.log.trace({ driver: className }, message);
        return;
      }
      if (level !== 'warning' && level !== 'error') return;
      if (BATCH_WARNING.test(message)) {
        // Expected with batching, once per batch: say it once, with what to set.
        if (!this.batchWarningLogged) {
          this.batchWarningLogged = true;
          this.log.info(
            { driver: className, serverWarning: message, batchBytes: this.options.write.batchBytes },
            "Cassandra warns about the size of UNLOGGED batches; set batch_size_warn_threshold in cassandra.yaml above the sink's batchBytes to silence it (further warnings of this kind are not logged)",
          );
        }
        return;
      }
      this.log.warn({ driver: className, driverLevel: level }, message);
    });
    try {
      await client.connect();
    } catch (error) {
      await client.shutdown().catch(() => undefined);
      await closeLeakedControlConnection(client);
      const wrapped = wrapDriverError(error, 'creating Cassandra session', { code: SinkErrorCode.CONNECT_FAILED });
      this.log.warn({ err: wrapped, retriable: wrapped.retriable, contactPoints: this.options.contactPoints }, 'could not connect to Cassandra');
      throw wrapped;
    }
    this.client = client;
    this.lifecycle = unboundedController();
    const durationMs = performance.now() - started;
    this.log.info({ contactPoints: this.options.contactPoints, localDataCenter: this.options.localDataCenter, durationMs }, 'connected to Cassandra');
    this.events.emitLazy('sink.connected', () => ({
      contactPoints: [...this.options.contactPoints],
      localDataCenter: this.options.localDataCenter,
      durationMs,
    }));
  }

  private requireClient(operation: string): Client {
    if (!this.client) {
      throw new SinkError(`${operation}: not connected to Cassandra; call connect() first`, { code: SinkErrorCode.NOT_CONNECTED, retriable: true });
    }
    return this.client;
  }

  /**
   * Creates the keyspace (default SimpleStrategy RF 1) and tables if they do
   * not exist (`CREATE ... IF NOT EXISTS`, safe to run on every start), adds
   * columns missing from an older table, and waits until all nodes agree on
   * the schema.
   *
   * @throws SinkError `SINK_MIGRATION_FAILED` (retriable if the cluster was
   *   unreachable), `SINK_SCHEMA_MISMATCH` (a column exists with another type),
   *   `SINK_SCHEMA_AGREEMENT_TIMEOUT`, `SINK_NOT_CONNECTED`; ConfigError for bad options.
   */
  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    const started = performance.now();
    const replication = resolveReplication(options.replication);
    const kinds = resolveWriteOptions(this.options.write, options.tables === undefined ? undefined : { tables: options.tables }, 'migrate options').tables;
    const client = this.requireClient('migrating');
    const result = await runMigration(
      client as unknown as Parameters<typeof runMigration>[0],
      { keyspace: this.options.keyspace, replication, tables: kinds.map((kind) => ({ kind, name: this.tableName(kind) })) },
      {
        schemaAgreementTimeoutMs: options.schemaAgreementTimeoutMs ?? 30_000,
        statementTimeoutMs: options.statementTimeoutMs ?? 60_000,
        localDataCenter: this.options.localDataCenter,
        log: this.log,
      },
    );
    const durationMs = performance.now() - started;
    this.log.info({ keyspace: result.keyspace, tables: result.tables, addedColumns: result.addedColumns, durationMs }, 'Cassandra schema ready');
    return { ...result, durationMs };
  }

  /**
   * Upserts `records` into the target tables (default `users`) with prepared
   * statements, `concurrency` records in flight. Never rejects because of a
   * record: each gets a `written` or `failed` result. Records whose id is not
   * a UUID or whose values do not fit the columns fail at once with
   * `SINK_INVALID_RECORD` (not retriable); timeouts, unavailable or
   * overloaded nodes are retried with backoff up to `maxAttempts` /
   * `deadlineMs`, then reported with `retriable: true`.
   *
   * @throws SinkError `SINK_NOT_CONNECTED` (retriable; call `connect()`), ConfigError for invalid options.
   * @example
   * ```ts
   * const { written, results } = await sink.writeBatch(records, { tables: ['users', 'reference'], concurrency: 128 });
   * ```
   */
  async writeBatch(records: readonly (UserRecordV1 | UserRecordV2)[], options: WriteBatchOptions = {}): Promise<WriteBatchResult> {
    const started = performance.now();
    const { signal, ...overrides } = options;
    const write = resolveWriteOptions(this.options.write, overrides);
    const client = this.requireClient('writing batch');
    const stop = signal ? AbortSignal.any([signal, this.lifecycle.signal]) : this.lifecycle.signal;
    const statements = write.tables.map((kind) => ({
      kind,
      table: this.tableName(kind),
      query: insertCql(this.options.keyspace, this.tableName(kind), kind, {
        timestamp: write.timestampFromIngestedAt,
        ttlSeconds: write.ttlSeconds,
      }),
    }));

    const results: WriteRecordResult[] = new Array(records.length);
    const tasks: WriteTask[] = [];
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      const id = idOf(record);
      const bound = bindRecord(record, index, write.tables, write.timestampFromIngestedAt);
      if (!bound.ok) results[index] = failedResult(index, id, bound.error, 0);
      else tasks.push({ index, id, statements: statements.map((s) => ({ table: s.table, query: s.query, params: bound.params.get(s.kind) ?? [] })) });
    }

    const latencies: number[] | undefined = this.events.listenerCount('sink.write_latency') > 0 ? [] : undefined;
    const runOptions = {
      execute: (query: string, params: unknown[]) => client.execute(query, params),
      concurrency: write.concurrency,
      maxAttempts: write.maxAttempts,
      deadlineMs: write.deadlineMs,
      initialDelayMs: write.initialDelayMs,
      maxDelayMs: write.maxDelayMs,
      stopOnExhausted: write.stopOnExhausted,
      signal: stop,
      onLatency: latencies ? (ms: number) => latencies.push(ms) : undefined,
      onWritten: this.events.listenerCount('sink.records_written') > 0 ? (records: number) => this.events.emit('sink.records_written', { records }) : undefined,
      onRetry: ({ task, attempt, delayMs, error }: { task: WriteTask; attempt: number; delayMs: number; error: SinkError }) => {
        this.log.debug({ index: task.index, id: task.id, attempt, delayMs, code: error.code }, 'retrying Cassandra write');
        this.events.emitLazy('sink.retry', () => ({ index: task.index, id: task.id, attempt, delayMs, code: error.code, error: error.message }));
      },
    };
    let batches = 0;
    let fallbacks = 0;
    let running: Promise<WriteRecordResult[]>;
    if (write.batchRows <= 1) {
      running = runWrites(tasks, runOptions);
    } else {
      const waves = planBatches(tasks, {
        maxRows: write.batchRows,
        maxBytes: write.batchBytes,
        recordsInFlight: write.concurrency,
        replicasOf: this.replicaLookup(client),
      });
      for (const units of waves) for (const unit of units) if (unit.length > 1) batches++;
      running = runBatchedWrites(waves, {
        ...runOptions,
        executeBatch: (batch: WriteStatement[]) => client.batch(batch, { prepare: true, logged: false, isIdempotent: true }),
        onFallback: ({ tasks: refused, error }) => {
          fallbacks++;
          this.log.debug(
            { records: refused.length, firstIndex: refused[0]?.index, code: error.code, err: error },
            'Cassandra refused a batch; writing its records one by one',
          );
          this.events.emitLazy('sink.batch_fallback', () => ({
            records: refused.length,
            indexes: refused.map((t) => t.index),
            code: error.code,
            message: error.message,
          }));
        },
      });
    }
    const outcomes: WriteRecordResult[] = await this.activeBatches.track(running);
    for (const outcome of outcomes) results[outcome.index] = outcome;

    return this.summarize(
      results,
      statements.map((s) => s.table),
      started,
      latencies,
      batches,
      fallbacks,
    );
  }

  private summarize(
    results: WriteRecordResult[],
    tables: string[],
    started: number,
    latencies: number[] | undefined,
    batches: number,
    fallbacks: number,
  ): WriteBatchResult {
    let written = 0;
    let retriableFailures = 0;
    const codes: Record<string, number> = {};
    for (const r of results) {
      if (r.status === 'written') {
        written++;
        continue;
      }
      if (r.retriable) retriableFailures++;
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      this.events.emitLazy('sink.write_failed', () => ({
        index: r.index,
        id: r.id,
        code: r.code,
        retriable: r.retriable,
        message: r.error.message,
        attempts: r.attempts,
      }));
    }
    const failed = results.length - written;
    const durationMs = performance.now() - started;
    if (failed > 0) {
      const first = results.find((r) => r.status === 'failed');
      this.log.warn(
        { records: results.length, written, failed, retriableFailures, codes, firstError: first?.status === 'failed' ? first.error.message : undefined },
        'Cassandra batch had failed records',
      );
    }
    this.events.emitLazy('sink.batch_written', () => ({
      records: results.length,
      rows: written,
      failed,
      retriableFailures,
      durationMs,
      tables,
      batches,
      fallbacks,
    }));
    if (latencies && latencies.length > 0) {
      const sorted = Float64Array.from(latencies).sort();
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
      this.events.emit('sink.write_latency', {
        records: sorted.length,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: sorted[sorted.length - 1] as number,
        batchDurationMs: durationMs,
      });
    }
    return { results, written, failed, retriableFailures, durationMs, tables, batches, fallbacks };
  }

  /**
   * Token awareness: where the rows of this keyspace live, from the driver's
   * token map. `undefined` (one group) when the local data center has a
   * single node, where every row has the same replica.
   */
  private replicaLookup(client: Client): ReplicaLookup | undefined {
    const hosts = client.hosts.values().filter((host) => host.datacenter === this.options.localDataCenter);
    if (hosts.length <= 1) return undefined;
    const keyspace = this.options.keyspace;
    return (routingKey) => client.getReplicas(keyspace, routingKey) as ReturnType<ReplicaLookup>;
  }

  /**
   * Counts the rows of a table with `SELECT COUNT(*)` (a full scan: for tests,
   * benchmarks and small tables). Default timeout 120 000 ms.
   *
   * @throws SinkError classified like writes; `SINK_NOT_CONNECTED`.
   */
  async countRows(table: TableKind, options: { timeoutMs?: number } = {}): Promise<number> {
    const client = this.requireClient('counting rows');
    const name = this.tableName(table);
    try {
      const result = await client.execute(countCql(this.options.keyspace, name), [], { readTimeout: options.timeoutMs ?? 120_000 });
      const count = result.first()?.['count'] as { toNumber(): number } | number | undefined;
      return typeof count === 'number' ? count : (count?.toNumber() ?? 0);
    } catch (error) {
      throw wrapDriverError(error, `counting rows of ${this.options.keyspace}.${name}`);
    }
  }

  /**
   * Readiness probe: reads `release_version` from `system.local` and returns
   * it (e.g. `"5.0.4"`).
   *
   * @throws SinkError when the node does not answer; `SINK_NOT_CONNECTED`.
   */
  async ping(options: { timeoutMs?: number } = {}): Promise<string> {
    const client = this.requireClient('pinging Cassandra');
    try {
      const result = await client.execute('SELECT release_version FROM system.local', [], { readTimeout: options.timeoutMs ?? 5_000 });
      return String(result.first()?.['release_version'] ?? '');
    } catch (error) {
      throw wrapDriverError(error, 'pinging Cassandra');
    }
  }

  /**
   * Stops taking work and shuts the session down. Running `writeBatch` calls
   * start no new records and stop retrying (records not written come back
   * `failed`, retriable), their requests in flight finish (bounded by
   * `requestTimeoutMs`), then the driver session closes. Safe to call more
   * than once; `connect()` afterwards creates a new session.
   */
  async close(): Promise<void> {
    if (this.connecting) await this.connecting.catch(() => undefined);
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.lifecycle.abort('the sink is closing');
    await this.activeBatches.drain();
    try {
      await client.shutdown();
    } catch (error) {
      this.log.warn({ err: wrapDriverError(error, 'closing Cassandra session') }, 'error while closing Cassandra session');
    }
    this.log.info('Cassandra session closed');
    this.events.emit('sink.closed', {});
  }
}

/** Server warnings every UNLOGGED batch of several partitions draws: its size, and that it spans partitions. */
const BATCH_WARNING = /Batch for \[[^\]]*\] is of size|Unlogged batch covering \d+ partitions/;

/** Whether a pino-compatible logger writes `level` (false when it cannot say). */
function levelEnabled(log: Logger, level: string): boolean {
  const check = (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  return typeof check === 'function' && check.call(log, level);
}

/** An AbortController whose signal may have one listener per concurrent batch without a leak warning. */
function unboundedController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/**
 * cassandra-driver 4.x leaks the control connection's socket when `connect()`
 * fails after the socket opened (e.g. an unknown localDataCenter): `shutdown()`
 * of a client that never connected returns early, and the socket keeps the
 * process alive. Close it ourselves; a no-op when there is none.
 */
async function closeLeakedControlConnection(client: Client): Promise<void> {
  const internals = client as unknown as { controlConnection?: { connection?: { close(callback: () => void): void } | null } };
  const connection = internals.controlConnection?.connection;
  if (!connection || typeof connection.close !== 'function') return;
  await new Promise<void>((resolve) => connection.close(() => resolve()));
}

function idOf(record: unknown): string {
  const id = typeof record === 'object' && record !== null ? (record as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : id === undefined || id === null ? '' : String(id);
}
