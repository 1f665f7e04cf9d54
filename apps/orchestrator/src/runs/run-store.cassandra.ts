import { errors, type types } from 'cassandra-driver';
import { componentLogger, describeError, type Logger } from '@userstream/core';
import { ParamsError } from '../jobs/job.definition';
import { CassandraError, type CassandraConnection } from './cassandra.connection';
import { ACTIVE_STATES, type JobState, type RunPage, type RunRecord, type RunState } from './run.model';
import { RunStore, type ListRunsQuery } from './run.store';

/** Options for {@link CassandraRunStore}. */
export interface CassandraRunStoreOptions {
  connection: CassandraConnection;
  /** The orchestrator's own keyspace, created if missing. */
  keyspace: string;
  /** SimpleStrategy replication factor used when the keyspace is created. */
  replicationFactor: number;
  logger?: Logger;
}

/** Partition of `runs_by_scope` listing every run, whatever its job. */
const ALL = 'all';
/** `active_runs` holds few rows: one partition is enough. */
const ACTIVE_SHARD = 0;

const RUN_COLUMNS = [
  'id',
  'job',
  'trigger_kind',
  'state',
  'try_number',
  'max_tries',
  'params',
  'scheduled_for',
  'queued_at',
  'started_at',
  'ended_at',
  'next_try_at',
  'ingest_run_id',
  'counts',
  'ingest_cursor',
  'offsets',
  'rows_written',
  'error',
  'tries',
  'log',
] as const;

function schema(ks: string, rf: number): string[] {
  return [
    `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${rf}}`,
    // The whole record of a run, rewritten at every change. JSON text keeps
    // nested values (counts, offsets, tries) readable from cqlsh.
    `CREATE TABLE IF NOT EXISTS ${ks}.runs (
      id timeuuid PRIMARY KEY, job text, trigger_kind text, state text, try_number int, max_tries int,
      params text, scheduled_for timestamp, queued_at timestamp, started_at timestamp, ended_at timestamp,
      next_try_at timestamp, ingest_run_id text, counts text, ingest_cursor text, offsets text,
      rows_written text, error text, tries text, log text)`,
    // Newest-first listing, per job and for all jobs, paged by the driver.
    `CREATE TABLE IF NOT EXISTS ${ks}.runs_by_scope (scope text, id timeuuid, PRIMARY KEY ((scope), id)) WITH CLUSTERING ORDER BY (id DESC)`,
    // Runs not yet final: read at start-up to recover from a crash.
    `CREATE TABLE IF NOT EXISTS ${ks}.active_runs (shard int, id timeuuid, job text, PRIMARY KEY ((shard), id))`,
    `CREATE TABLE IF NOT EXISTS ${ks}.job_states (job text PRIMARY KEY, paused boolean, updated_at timestamp)`,
  ];
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const parse = <T>(text: string | null | undefined): T | undefined => (text ? (JSON.parse(text) as T) : undefined);
const date = (iso: string | undefined): Date | null => (iso === undefined ? null : new Date(iso));
const iso = (value: Date | null | undefined): string | undefined => (value ? value.toISOString() : undefined);

function toRow(run: RunRecord): unknown[] {
  return [
    run.id,
    run.job,
    run.trigger,
    run.state,
    run.tryNumber,
    run.maxTries,
    json(run.params),
    date(run.scheduledFor),
    date(run.queuedAt),
    date(run.startedAt),
    date(run.endedAt),
    date(run.nextTryAt),
    run.ingestRunId ?? null,
    json(run.counts),
    json(run.cursor),
    json(run.offsets),
    json(run.rowsWritten),
    run.error ?? null,
    json(run.tries),
    json(run.log),
  ];
}

function fromRow(row: types.Row): RunRecord {
  const run: RunRecord = {
    id: row['id'].toString(),
    job: row['job'],
    trigger: row['trigger_kind'],
    state: row['state'] as RunState,
    tryNumber: row['try_number'] ?? 0,
    maxTries: row['max_tries'] ?? 1,
    params: parse(row['params']) ?? {},
    queuedAt: iso(row['queued_at']) ?? new Date(0).toISOString(),
    rowsWritten: parse(row['rows_written']) ?? { state: 'unknown', value: null },
    tries: parse(row['tries']) ?? [],
  };
  const optional: Partial<RunRecord> = {
    scheduledFor: iso(row['scheduled_for']),
    startedAt: iso(row['started_at']),
    endedAt: iso(row['ended_at']),
    nextTryAt: iso(row['next_try_at']),
    ingestRunId: row['ingest_run_id'] ?? undefined,
    counts: parse(row['counts']),
    cursor: parse(row['ingest_cursor']),
    offsets: parse(row['offsets']),
    error: row['error'] ?? undefined,
    log: parse(row['log']),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (run as unknown as Record<string, unknown>)[key] = value;
  return run;
}

/**
 * The run history in Cassandra, in the orchestrator's own keyspace
 * (created idempotently at start). Every statement is prepared and marked
 * idempotent, so the driver may retry it.
 */
export class CassandraRunStore extends RunStore {
  private readonly db: CassandraConnection;
  private readonly ks: string;
  private readonly logger: Logger;

  constructor(private readonly options: CassandraRunStoreOptions) {
    super();
    if (!/^[a-z][a-z0-9_]{0,47}$/.test(options.keyspace)) throw new ParamsError(`keyspace "${options.keyspace}": use lower-case letters, digits and _`);
    this.db = options.connection;
    this.ks = options.keyspace;
    this.logger = componentLogger(options.logger, 'run-store');
  }

  async init(): Promise<void> {
    await this.db.connect();
    for (const statement of schema(this.ks, this.options.replicationFactor)) {
      // DDL is not prepared; the driver waits for schema agreement after each statement.
      await this.db.execute('creating the run history schema', statement, [], { prepare: false });
    }
    await this.addLogColumn();
    this.logger.debug({ keyspace: this.ks }, 'run history schema ready');
  }

  /** Histories created before runs kept a log get the column (ALTER TABLE has no IF NOT EXISTS in Cassandra 4). */
  private async addLogColumn(): Promise<void> {
    const found = await this.db.execute(
      'reading the run history schema',
      'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ? AND column_name = ?',
      [this.ks, 'runs', 'log'],
    );
    if (found.rowLength > 0) return;
    try {
      await this.db.execute('adding the log column to the run history', `ALTER TABLE ${this.ks}.runs ADD log text`, [], { prepare: false });
    } catch (error) {
      // Another orchestrator added it in between.
      if (!/conflicts with an existing column|already exists/i.test(describeError(error))) throw error;
    }
  }

  async saveRun(run: RunRecord): Promise<void> {
    const context = `saving run ${run.id}`;
    const active = ACTIVE_STATES.includes(run.state);
    await Promise.all([
      this.db.execute(context, `INSERT INTO ${this.ks}.runs (${RUN_COLUMNS.join(', ')}) VALUES (${RUN_COLUMNS.map(() => '?').join(', ')})`, toRow(run)),
      this.db.execute(context, `INSERT INTO ${this.ks}.runs_by_scope (scope, id) VALUES (?, ?)`, [ALL, run.id]),
      this.db.execute(context, `INSERT INTO ${this.ks}.runs_by_scope (scope, id) VALUES (?, ?)`, [`job:${run.job}`, run.id]),
      active
        ? this.db.execute(context, `INSERT INTO ${this.ks}.active_runs (shard, id, job) VALUES (?, ?, ?)`, [ACTIVE_SHARD, run.id, run.job])
        : this.db.execute(context, `DELETE FROM ${this.ks}.active_runs WHERE shard = ? AND id = ?`, [ACTIVE_SHARD, run.id]),
    ]);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    if (!isTimeUuid(id)) return undefined;
    const result = await this.db.execute(`reading run ${id}`, `SELECT * FROM ${this.ks}.runs WHERE id = ?`, [id]);
    const row = result.first();
    return row ? fromRow(row) : undefined;
  }

  async listRuns(query: ListRunsQuery): Promise<RunPage> {
    if (query.pageToken !== undefined && !/^([0-9a-f]{2})+$/.test(query.pageToken)) throw new ParamsError('pageToken: not a token this server issued');
    const scope = query.job === undefined ? ALL : `job:${query.job}`;
    let result: types.ResultSet;
    try {
      result = await this.db.client.execute(`SELECT id FROM ${this.ks}.runs_by_scope WHERE scope = ?`, [scope], {
        prepare: true,
        fetchSize: query.limit,
        ...(query.pageToken !== undefined ? { pageState: query.pageToken } : {}),
      });
    } catch (error) {
      const wrapped = new CassandraError('listing runs', error);
      // A paging state Cassandra cannot decode is the caller's mistake, not an outage.
      if (query.pageToken !== undefined && !wrapped.retriable && !(error instanceof errors.NoHostAvailableError)) {
        throw new ParamsError('pageToken: not a token this server issued');
      }
      throw wrapped;
    }
    const runs = await Promise.all(result.rows.map((row) => this.getRun(row['id'].toString())));
    const page: RunPage = { runs: runs.filter((r): r is RunRecord => r !== undefined) };
    // The driver hands back a paging state even when the page ended exactly at the last row; the next page is then empty.
    if (result.pageState && result.rows.length === query.limit) page.nextPageToken = result.pageState;
    return page;
  }

  async activeRuns(): Promise<RunRecord[]> {
    const result = await this.db.execute('reading active runs', `SELECT id FROM ${this.ks}.active_runs WHERE shard = ?`, [ACTIVE_SHARD]);
    const runs = await Promise.all(result.rows.map((row) => this.getRun(row['id'].toString())));
    return runs.filter((r): r is RunRecord => r !== undefined && ACTIVE_STATES.includes(r.state));
  }

  async jobStates(): Promise<JobState[]> {
    const result = await this.db.execute('reading job states', `SELECT job, paused, updated_at FROM ${this.ks}.job_states`);
    return result.rows.map((row) => ({ job: row['job'], paused: row['paused'] === true, updatedAt: iso(row['updated_at']) ?? new Date(0).toISOString() }));
  }

  async saveJobState(state: JobState): Promise<void> {
    await this.db.execute(`saving the state of job ${state.job}`, `INSERT INTO ${this.ks}.job_states (job, paused, updated_at) VALUES (?, ?, ?)`, [
      state.job,
      state.paused,
      new Date(state.updatedAt),
    ]);
  }

  async ping(): Promise<void> {
    await this.db.ping();
  }

  async close(): Promise<void> {
    // The connection is shared and closed by its owner.
  }
}

/** Whether `id` is a version-1 (time-based) UUID, the form run ids take. */
export function isTimeUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id);
}
