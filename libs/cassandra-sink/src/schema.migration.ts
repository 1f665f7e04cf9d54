import type { Client } from 'cassandra-driver';
import { waitFor, type Logger } from '@userstream/core';
import {
  addColumnCql,
  columnsOf,
  createKeyspaceCql,
  createTableCql,
  TABLE_COLUMNS_CQL,
  type Replication,
  type TableKind,
} from './cql.statements';
import { SinkError, SinkErrorCode, wrapDriverError } from './sink.errors';

/** Options of `CassandraSink.migrate`. */
export interface MigrateOptions {
  /** Replication of the keyspace when it is created. Default SimpleStrategy RF 1. An existing keyspace is left as it is. */
  replication?: Replication;
  /** Tables to create. Default: the sink's `write.tables` (`['users']` unless configured). */
  tables?: TableKind[];
  /** How long to wait for all nodes to agree on the new schema, in milliseconds. Default 30 000. */
  schemaAgreementTimeoutMs?: number;
  /** Timeout of each DDL statement in milliseconds. Default 60 000. */
  statementTimeoutMs?: number;
}

/** What `migrate` did. */
export interface MigrateResult {
  keyspace: string;
  /** Names of the tables that now exist with every column the sink writes. */
  tables: string[];
  /** Every DDL statement sent (all idempotent, so this is the same list on every run, plus any ALTER). */
  statements: string[];
  /** Columns added to tables that existed without them, as `table.column`. */
  addedColumns: string[];
  durationMs: number;
}

/** The bits of the driver `Client` migrations use (`checkSchemaAgreement` is missing from the driver's typings). */
type MigrationClient = Pick<Client, 'execute'> & {
  metadata: { checkSchemaAgreement(): Promise<boolean> };
};

/**
 * Creates the keyspace and tables if they do not exist, adds missing columns
 * to tables that do, and waits for schema agreement after each change.
 */
export async function runMigration(
  client: MigrationClient,
  plan: { keyspace: string; replication: Replication; tables: { kind: TableKind; name: string }[] },
  options: { schemaAgreementTimeoutMs: number; statementTimeoutMs: number; log: Logger },
): Promise<Omit<MigrateResult, 'durationMs'>> {
  const statements: string[] = [];
  const addedColumns: string[] = [];
  const ddl = async (cql: string) => {
    statements.push(cql);
    options.log.debug({ cql }, 'running schema statement');
    try {
      await client.execute(cql, [], { prepare: false, readTimeout: options.statementTimeoutMs });
    } catch (error) {
      throw wrapDriverError(error, `running "${cql}"`, { code: SinkErrorCode.MIGRATION_FAILED });
    }
  };
  const agreement = async () => {
    await waitFor(() => client.metadata.checkSchemaAgreement(), {
      timeoutMs: options.schemaAgreementTimeoutMs,
      intervalMs: 200,
      description: 'schema agreement',
    }).catch((error: unknown) => {
      throw new SinkError(`waiting for schema agreement: no agreement within ${options.schemaAgreementTimeoutMs} ms`, {
        code: SinkErrorCode.SCHEMA_AGREEMENT_TIMEOUT,
        retriable: true,
        cause: error,
      });
    });
  };

  await ddl(createKeyspaceCql(plan.keyspace, plan.replication));
  for (const table of plan.tables) await ddl(createTableCql(plan.keyspace, table.name, table.kind));
  await agreement();

  let altered = false;
  for (const table of plan.tables) {
    const existing = await readColumns(client, plan.keyspace, table.name);
    for (const column of columnsOf(table.kind)) {
      const type = existing.get(column.name);
      if (type === undefined) {
        await ddl(addColumnCql(plan.keyspace, table.name, column));
        addedColumns.push(`${table.name}.${column.name}`);
        altered = true;
      } else if (type !== column.type) {
        throw new SinkError(
          `table ${plan.keyspace}.${table.name}: column ${column.name} is ${type}, the sink writes ${column.type}; migrate it by hand or use another table name`,
          { code: SinkErrorCode.SCHEMA_MISMATCH, retriable: false, details: { table: table.name, column: column.name, found: type, expected: column.type } },
        );
      }
    }
  }
  if (altered) await agreement();

  return { keyspace: plan.keyspace, tables: plan.tables.map((t) => t.name), statements, addedColumns };
}

async function readColumns(client: MigrationClient, keyspace: string, table: string): Promise<Map<string, string>> {
  try {
    const result = await client.execute(TABLE_COLUMNS_CQL, [keyspace, table], { prepare: true });
    return new Map(result.rows.map((row) => [String(row['column_name']), String(row['type'])]));
  } catch (error) {
    throw wrapDriverError(error, `reading the columns of ${keyspace}.${table}`, { code: SinkErrorCode.MIGRATION_FAILED });
  }
}

