import type { Client, Host } from 'cassandra-driver';
import { waitFor, type Logger } from '@userstream/core';
import { addColumnCql, columnsOf, createKeyspaceCql, createTableCql, TABLE_COLUMNS_CQL, type Replication, type TableKind } from './cql.statements';
import { SinkError, SinkErrorCode, wrapDriverError } from './sink.errors';

/** Options of `CassandraSink.migrate`. */
export interface MigrateOptions {
  /** Replication of the keyspace when it is created. Default SimpleStrategy RF 1. An existing keyspace is left as it is. */
  replication?: Replication;
  /** Tables to create. Default: the sink's `write.tables` (`['users']` unless configured). */
  tables?: TableKind[];
  /**
   * How long to wait, after each schema change, for every node the driver
   * sees up to agree on the new schema, in milliseconds. Default 30 000.
   * Nodes that are down do not count: they take the schema from their peers
   * when they come back.
   */
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

/** The bits of a driver `Host` the schema agreement check reads. */
export interface MigrationHost {
  address: string;
  datacenter?: string;
  /** The node's host id (`system.local.host_id`); the driver fills it in from the control connection. */
  hostId?: { toString(): string } | null;
  isUp(): boolean;
}

/** The bits of the driver `Client` migrations use. */
export type MigrationClient = Pick<Client, 'execute'> & { hosts: { values(): MigrationHost[] } };

/** One look at the cluster's schema versions, as {@link checkLiveSchemaAgreement} saw them. */
export interface SchemaAgreement {
  /** Every node the driver sees up reported the same schema version. */
  agreed: boolean;
  /** Schema version by node address (host id when the address is unknown), for the live nodes that answered. */
  versions: Record<string, string>;
  /** Nodes the driver sees down; they are not waited for. */
  down: string[];
}

const LOCAL_SCHEMA_CQL = 'SELECT host_id, schema_version FROM system.local';
const PEERS_SCHEMA_CQL = 'SELECT peer, host_id, schema_version FROM system.peers';

/**
 * Asks one live node for its own schema version and its peers' (from
 * `system.local` and `system.peers`) and compares those of the nodes the
 * driver sees up, as the DataStax Java and Python drivers do. The Node.js
 * driver's own `checkSchemaAgreement` also counts the stale version a dead
 * node left in `system.peers`, so with one node of three down it never
 * agrees, and a sink that waited on it never started writing, although the
 * live nodes (a quorum) had the schema. A dead node pulls the schema from its
 * peers when it rejoins, before it serves requests. Peers the driver does not
 * know are counted, to be safe.
 */
export async function checkLiveSchemaAgreement(
  client: MigrationClient,
  options: { localDataCenter?: string; timeoutMs?: number; pick?: () => number } = {},
): Promise<SchemaAgreement> {
  const hosts = client.hosts.values();
  const up = hosts.filter((host) => host.isUp());
  const downIds = new Set(hosts.filter((host) => !host.isUp()).map((host) => String(host.hostId)));
  const down = hosts.filter((host) => !host.isUp()).map((host) => host.address);
  if (up.length === 0) return { agreed: false, versions: {}, down };
  // Both reads from the same node (one the driver keeps connections to): system.local and system.peers are that node's view.
  const local = up.filter((host) => host.datacenter === options.localDataCenter);
  const candidates = local.length > 0 ? local : up;
  const at = candidates[Math.floor((options.pick ?? Math.random)() * candidates.length)] as MigrationHost;
  const query = { host: at as unknown as Host, prepare: false, readTimeout: options.timeoutMs ?? 5000, isIdempotent: true };
  // One after the other: a pool allowed a single request per connection would refuse the second as busy.
  const own = await client.execute(LOCAL_SCHEMA_CQL, [], query);
  const peers = await client.execute(PEERS_SCHEMA_CQL, [], query);
  const versions: Record<string, string> = {};
  const self = own.rows[0];
  if (self?.['schema_version']) versions[at.address] = String(self['schema_version']);
  for (const row of peers.rows) {
    const id = String(row['host_id']);
    if (!row['schema_version'] || downIds.has(id)) continue;
    versions[row['peer'] ? String(row['peer']) : id] = String(row['schema_version']);
  }
  const distinct = new Set(Object.values(versions));
  return { agreed: distinct.size === 1 && versions[at.address] !== undefined, versions, down };
}

/**
 * Creates the keyspace and tables if they do not exist, adds missing columns
 * to tables that do, and waits for schema agreement after each change.
 */
export async function runMigration(
  client: MigrationClient,
  plan: { keyspace: string; replication: Replication; tables: { kind: TableKind; name: string }[] },
  options: { schemaAgreementTimeoutMs: number; statementTimeoutMs: number; localDataCenter?: string; log: Logger },
): Promise<Omit<MigrateResult, 'durationMs'>> {
  const statements: string[] = [];
  const addedColumns: string[] = [];
  const ddl = async (cql: string) => {
    statements.push(cql);
    options.log.debug({ cql }, 'running schema statement');
    try {
      // Not idempotent for the driver: two coordinators creating the same table at once can give it two ids,
      // so a schema change is never retried on another node nor sent twice speculatively.
      await client.execute(cql, [], { prepare: false, readTimeout: options.statementTimeoutMs, isIdempotent: false });
    } catch (error) {
      throw wrapDriverError(error, `running "${cql}"`, { code: SinkErrorCode.MIGRATION_FAILED });
    }
  };
  let last: SchemaAgreement | undefined;
  let toldDown = false;
  /** After each change: the next statement may go to another node, which must know what this one created. */
  const agreement = async () => {
    await waitFor(async () => (last = await checkLiveSchemaAgreement(client, { localDataCenter: options.localDataCenter })).agreed, {
      timeoutMs: options.schemaAgreementTimeoutMs,
      intervalMs: 200,
      description: 'schema agreement among the live nodes',
    }).catch((error: unknown) => {
      const seen = last ? `; versions ${JSON.stringify(last.versions)}${last.down.length > 0 ? `, down: ${last.down.join(', ')}` : ''}` : '';
      throw new SinkError(`waiting for schema agreement: the live nodes did not agree within ${options.schemaAgreementTimeoutMs} ms${seen}`, {
        code: SinkErrorCode.SCHEMA_AGREEMENT_TIMEOUT,
        retriable: true,
        cause: error,
        details: last ? { versions: last.versions, down: last.down } : undefined,
      });
    });
    if (last && last.down.length > 0 && !toldDown) {
      toldDown = true;
      options.log.info({ down: last.down, versions: last.versions }, 'schema agreed among the live nodes; the nodes down take it when they return');
    }
  };

  await ddl(createKeyspaceCql(plan.keyspace, plan.replication));
  await agreement();
  for (const table of plan.tables) {
    await ddl(createTableCql(plan.keyspace, table.name, table.kind));
    await agreement();
  }

  for (const table of plan.tables) {
    const existing = await readColumns(client, plan.keyspace, table.name);
    for (const column of columnsOf(table.kind)) {
      const type = existing.get(column.name);
      if (type === undefined) {
        await ddl(addColumnCql(plan.keyspace, table.name, column));
        addedColumns.push(`${table.name}.${column.name}`);
        await agreement();
      } else if (type !== column.type) {
        throw new SinkError(
          `table ${plan.keyspace}.${table.name}: column ${column.name} is ${type}, the sink writes ${column.type}; migrate it by hand or use another table name`,
          { code: SinkErrorCode.SCHEMA_MISMATCH, retriable: false, details: { table: table.name, column: column.name, found: type, expected: column.type } },
        );
      }
    }
  }

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
