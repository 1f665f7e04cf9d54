import { errors } from 'cassandra-driver';
import { describeError, type Logger, componentLogger } from '@userstream/core';
import type { CassandraConnection } from '../runs/cassandra.connection';

/** The row count of the pipeline's Cassandra table, as the dashboard shows it. */
export interface TableRowCount {
  /** `keyspace.table`. */
  table: string;
  rows: number | null;
  /** `exact`: a COUNT(*) that finished in time; `estimate`: Cassandra's own size estimate (system.size_estimates), refreshed by Cassandra every few minutes. */
  kind: 'exact' | 'estimate' | 'unavailable';
  /** When the number was taken (ISO-8601). */
  at: string;
  error?: string;
}

/** Options for {@link TableRowCounter}. */
export interface TableRowCounterOptions {
  connection: CassandraConnection;
  keyspace: string;
  table: string;
  /** Bound on the COUNT(*), in milliseconds; past it the estimate is used. */
  timeoutMs: number;
  /** How long a number is reused, in milliseconds. */
  cacheMs: number;
  logger?: Logger;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/**
 * Counts the rows of the table the stream-processor writes. A full COUNT(*)
 * scans the table, so it is bounded by a timeout, cached, and never run
 * twice at once; when it does not finish in time the count falls back to
 * Cassandra's size estimate, labelled as such.
 */
export class TableRowCounter {
  private cached?: TableRowCount;
  private inFlight?: Promise<TableRowCount>;
  private readonly logger: Logger;
  private readonly name: string;

  constructor(private readonly options: TableRowCounterOptions) {
    if (!NAME.test(options.keyspace) || !NAME.test(options.table)) throw new Error(`invalid table name ${options.keyspace}.${options.table}`);
    this.name = `${options.keyspace}.${options.table}`;
    this.logger = componentLogger(options.logger, 'row-count');
  }

  /** The cached count when fresh enough, otherwise a new one. */
  async count(): Promise<TableRowCount> {
    if (this.cached && Date.now() - Date.parse(this.cached.at) < this.options.cacheMs) return this.cached;
    this.inFlight ??= this.measure().finally(() => (this.inFlight = undefined));
    this.cached = await this.inFlight;
    return this.cached;
  }

  private async measure(): Promise<TableRowCount> {
    const at = () => new Date().toISOString();
    const { client } = this.options.connection;
    try {
      const result = await client.execute(`SELECT COUNT(*) AS n FROM ${this.name}`, [], { readTimeout: this.options.timeoutMs, isIdempotent: true });
      return { table: this.name, rows: Number(result.first()['n']), kind: 'exact', at: at() };
    } catch (error) {
      if (error instanceof errors.ResponseError && /unconfigured table|does not exist|Keyspace .* doesn't exist/i.test(error.message)) {
        return { table: this.name, rows: null, kind: 'unavailable', at: at(), error: `table ${this.name} does not exist yet` };
      }
      this.logger.debug({ err: describeError(error) }, 'COUNT(*) did not finish, using the size estimate');
      try {
        const estimate = await client.execute(
          'SELECT partitions_count FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?',
          [this.options.keyspace, this.options.table],
          { prepare: true, readTimeout: this.options.timeoutMs },
        );
        const rows = estimate.rows.reduce((sum, row) => sum + Number(row['partitions_count'] ?? 0), 0);
        return { table: this.name, rows, kind: 'estimate', at: at(), error: `COUNT(*) did not finish: ${describeError(error)}` };
      } catch (estimateError) {
        return { table: this.name, rows: null, kind: 'unavailable', at: at(), error: describeError(estimateError) };
      }
    }
  }
}
