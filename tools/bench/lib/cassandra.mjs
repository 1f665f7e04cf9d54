// Cassandra helpers on plain cassandra-driver: a client like the sink's,
// the sink's own `users` table DDL, exact row counts by token range, drops.
import cassandra from 'cassandra-driver';
import sinkPkg from '@userstream/cassandra-sink';
import { servers } from './env.mjs';

const { createKeyspaceCql, createTableCql, insertCql, USERS_COLUMNS } = sinkPkg;
export { USERS_COLUMNS };

/**
 * A driver client set up like the sink's: prepared statements, idempotent,
 * LOCAL_QUORUM, one connection per host with up to 2048 requests, no stack
 * capture. `keyspace` optional.
 * @param {{ keyspace?: string, readTimeoutMs?: number }} [options]
 */
export async function connectClient({ keyspace, readTimeoutMs = 12_000 } = {}) {
  const s = servers();
  const client = new cassandra.Client({
    contactPoints: s.contactPoints,
    localDataCenter: s.localDataCenter,
    ...(keyspace ? { keyspace } : {}),
    queryOptions: { prepare: true, isIdempotent: true, consistency: cassandra.types.consistencies.localQuorum, captureStackTrace: false },
    pooling: {
      coreConnectionsPerHost: { [cassandra.types.distance.local]: 1, [cassandra.types.distance.remote]: 1 },
      maxRequestsPerConnection: 2048,
    },
    socketOptions: { readTimeout: readTimeoutMs, connectTimeout: 5000 },
  });
  await client.connect();
  return client;
}

/** Creates the keyspace (SimpleStrategy RF 1) and a `users` table identical to the sink's. */
export async function createUsersTable(client, keyspace, table = 'users') {
  await client.execute(createKeyspaceCql(keyspace, { class: 'SimpleStrategy', replicationFactor: 1 }), [], { prepare: false });
  await client.execute(createTableCql(keyspace, table, 'users'), [], { prepare: false });
  await waitSchemaAgreement(client);
}

/** The sink's upsert for the `users` table. */
export function usersInsertCql(keyspace, table = 'users') {
  return insertCql(keyspace, table, 'users', {});
}

async function waitSchemaAgreement(client) {
  const agreed = await client.metadata.checkSchemaAgreement();
  if (!agreed) await new Promise((resolve) => setTimeout(resolve, 500));
}

/** Drops a keyspace if it exists (auto_snapshot is off on the dev stack, so the disk space comes back). */
export async function dropKeyspace(client, keyspace) {
  await client.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`, [], { prepare: false, readTimeout: 120_000 });
}

/**
 * Exact row count of a table, counted by `ranges` token ranges in parallel
 * (one `COUNT(*)` over a large table can exceed the server's range timeout).
 */
export async function countRows(client, keyspace, table = 'users', { ranges = 64, parallel = 8 } = {}) {
  const min = -(2n ** 63n);
  const max = 2n ** 63n - 1n;
  const width = (max - min) / BigInt(ranges);
  const bounds = [];
  for (let i = 0; i < ranges; i++) {
    const lo = min + width * BigInt(i);
    const hi = i === ranges - 1 ? max : lo + width;
    bounds.push([lo, hi]);
  }
  const query = `SELECT COUNT(*) AS n FROM "${keyspace}"."${table}" WHERE token(id) > ? AND token(id) <= ?`;
  let total = 0;
  let next = 0;
  const long = (v) => cassandra.types.Long.fromString(v.toString());
  const worker = async () => {
    while (next < bounds.length) {
      const [lo, hi] = bounds[next++];
      const rs = await client.execute(query, [long(lo), long(hi)], { prepare: true, readTimeout: 120_000 });
      total += Number(rs.first().n);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  // token(id) > min misses a row whose token is exactly the minimum; it cannot be produced by Murmur3 in practice.
  return total;
}

/** Calls `onRow(row)` for every row of `SELECT <columns>` (paged, `fetchSize` rows a page). */
export async function scanRows(client, cql, onRow, { fetchSize = 5000 } = {}) {
  let pageState;
  let rows = 0;
  do {
    const rs = await client.execute(cql, [], { prepare: true, fetchSize, pageState, readTimeout: 120_000 });
    for (const row of rs.rows) onRow(row);
    rows += rs.rows.length;
    pageState = rs.pageState;
  } while (pageState);
  return rows;
}
