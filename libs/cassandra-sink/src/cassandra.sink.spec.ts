import { errors, types } from 'cassandra-driver';
import { ConfigError } from '@userstream/core';
import type { UserRecordV2 } from '@userstream/user-schema';
import { CassandraSink } from './cassandra.sink';
import { TABLE_COLUMNS_CQL } from './cql.statements';
import { SinkError, SinkErrorCode } from './sink.errors';
import type { SinkEvents } from './sink.events';

const options = { contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1', keyspace: 'KS_Test' };
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const record = (n: number): UserRecordV2 => ({
  id: uuid(n),
  first_name: `F${n}`,
  last_name: 'L',
  gender: 'male',
  address: '1 Road, Town, State, Country',
  postcode: '1000',
  email: 'e@x',
  username: 'u',
  dob: '1990-01-01T00:00:00.000Z',
  registered_date: '2010-01-01T00:00:00.000Z',
  phone: 'p',
  picture: 'pic',
  title: 'Mr',
  nationality: 'FR',
  cell: 'c',
  city: 'Town',
  state: 'State',
  country: 'Country',
  latitude: 1.5,
  longitude: null,
  timezone_offset: '+1:00',
  timezone_description: 'Paris',
  age: 30,
  picture_medium: 'm',
  picture_thumbnail: 't',
  ingested_at: 1_700_000_000_000,
});

/** Stands in for the driver Client; the real one is exercised by test/*.spec.ts. */
function fakeClient(behaviour: (query: string, params: unknown[]) => unknown = () => ({ rows: [] })) {
  const calls: Array<{ query: string; params: unknown[]; options: unknown }> = [];
  const batches: Array<{ queries: Array<{ query: string; params: unknown[] }>; options: unknown }> = [];
  return {
    calls,
    batches,
    client: {
      hosts: { values: () => [{ datacenter: 'datacenter1', address: '127.0.0.1:9042', hostId: 'h1', isUp: () => true }] },
      batch: async (queries: Array<{ query: string; params: unknown[] }>, opts?: unknown) => {
        batches.push({ queries, options: opts });
        for (const q of queries) {
          const out = behaviour(q.query, q.params);
          if (out instanceof Error) throw out;
        }
        return { rows: [] };
      },
      execute: async (query: string, params: unknown[] = [], opts?: unknown) => {
        // A one-node cluster always agrees on its schema.
        if (query.includes('FROM system.local')) return { rows: [{ host_id: 'h1', schema_version: 'v1' }] };
        if (query.includes('FROM system.peers')) return { rows: [] };
        calls.push({ query, params, options: opts });
        const out = behaviour(query, params);
        if (out instanceof Error) throw out;
        return out;
      },
      shutdown: async () => undefined,
    },
  };
}

function connectedSink(fake: ReturnType<typeof fakeClient>, extra: Partial<ConstructorParameters<typeof CassandraSink>[0]> = {}): CassandraSink {
  const sink = new CassandraSink({ ...options, ...extra });
  (sink as unknown as { client: unknown }).client = fake.client;
  return sink;
}

function collect<K extends keyof SinkEvents & string>(sink: CassandraSink, name: K): SinkEvents[K][] {
  const seen: SinkEvents[K][] = [];
  sink.events.on(name, (e) => seen.push(e));
  return seen;
}

describe('CassandraSink', () => {
  it('validates its options up front', () => {
    expect(() => new CassandraSink({ ...options, contactPoints: [] })).toThrow(ConfigError);
    expect(new CassandraSink(options).keyspace).toBe('ks_test');
    expect(new CassandraSink({ ...options, tableNames: { reference: 'spark_users' } }).tableName('reference')).toBe('spark_users');
  });

  it('asks to be connected first, with a retriable error', async () => {
    const sink = new CassandraSink(options);
    expect(sink.connected).toBe(false);
    for (const call of [() => sink.writeBatch([record(1)]), () => sink.migrate(), () => sink.ping(), () => sink.countRows('users')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SinkError);
      expect(error).toMatchObject({ code: SinkErrorCode.NOT_CONNECTED, retriable: true });
    }
    await sink.close(); // closing a sink that never connected is fine
  });

  it('rejects invalid write options before writing anything', async () => {
    const fake = fakeClient();
    const sink = connectedSink(fake);
    await expect(sink.writeBatch([record(1)], { concurrency: 0 })).rejects.toThrow(ConfigError);
    expect(fake.calls).toHaveLength(0);
  });

  it('writes valid records, fails invalid ones in place, and reports through events', async () => {
    const fake = fakeClient((_q, params) => (params[0] === uuid(3) ? new errors.ResponseError(types.responseErrorCodes.invalid, 'bad') : { rows: [] }));
    const sink = connectedSink(fake);
    const batches = collect(sink, 'sink.batch_written');
    const failures = collect(sink, 'sink.write_failed');
    const latency = collect(sink, 'sink.write_latency');
    const input = [record(0), { ...record(1), id: 'nope' }, record(2), record(3), { ...record(4), age: 'old' as unknown as number }];

    const result = await sink.writeBatch(input, { tables: ['users', 'reference'], timestampFromIngestedAt: true, ttlSeconds: 60, batchRows: 1 });

    expect(result.results.map((r) => [r.index, r.id, r.status])).toEqual([
      [0, uuid(0), 'written'],
      [1, 'nope', 'failed'],
      [2, uuid(2), 'written'],
      [3, uuid(3), 'failed'],
      [4, uuid(4), 'failed'],
    ]);
    expect(result.results.filter((r) => r.status === 'failed').map((r) => r.status === 'failed' && [r.code, r.retriable, r.attempts])).toEqual([
      [SinkErrorCode.INVALID_RECORD, false, 0],
      [SinkErrorCode.INVALID_QUERY, false, 1],
      [SinkErrorCode.INVALID_RECORD, false, 0],
    ]);
    expect(result).toMatchObject({ written: 2, failed: 3, retriableFailures: 0, tables: ['users', 'users_created'] });
    // Invalid records never reach the driver; each valid one goes to both tables.
    expect(new Set(fake.calls.map((c) => c.params[0]))).toEqual(new Set([uuid(0), uuid(2), uuid(3)]));
    expect(fake.calls).toHaveLength(6);
    const reference = fake.calls.find((c) => c.query.includes('"users_created"'));
    expect(reference?.query).toMatch(/^INSERT INTO "ks_test"."users_created" \(id, .*picture\) VALUES \((\?, ){11}\?\) USING TIMESTAMP \? AND TTL 60$/);
    expect(String(reference?.params[12])).toBe('1700000000000000');

    expect(batches).toEqual([
      { records: 5, rows: 2, failed: 3, retriableFailures: 0, durationMs: expect.any(Number), tables: ['users', 'users_created'], batches: 0, fallbacks: 0 },
    ]);
    expect(failures.map((f) => [f.index, f.code])).toEqual([
      [1, SinkErrorCode.INVALID_RECORD],
      [3, SinkErrorCode.INVALID_QUERY],
      [4, SinkErrorCode.INVALID_RECORD],
    ]);
    expect(latency).toHaveLength(1);
    expect(latency[0]?.records).toBe(3);
    expect(latency[0]?.maxMs).toBeGreaterThanOrEqual(latency[0]?.p50Ms ?? Infinity);
  });

  it('sends a call with few records as single rows, and a large one in full batches', async () => {
    const fake = fakeClient();
    const sink = connectedSink(fake, { write: { batchRows: 32, concurrency: 64 } });
    const small = await sink.writeBatch(Array.from({ length: 10 }, (_, n) => record(n)));
    expect(small.written).toBe(10);
    expect(fake.batches).toHaveLength(0);
    expect(fake.calls.filter((c) => c.query.startsWith('INSERT'))).toHaveLength(10);
    const large = await sink.writeBatch(Array.from({ length: 2048 }, (_, n) => record(100 + n)));
    expect(large.written).toBe(2048);
    expect(fake.batches.map((b) => b.queries.length)).toEqual(Array(64).fill(32));
  });

  it('sends UNLOGGED batches bounded by rows, idempotent, and reports a refused batch record by record', async () => {
    const fake = fakeClient((_q, params) => (params[0] === uuid(6) ? new errors.ResponseError(types.responseErrorCodes.invalid, 'bad') : { rows: [] }));
    const sink = connectedSink(fake, { write: { batchRows: 4 } });
    const fallbacks = collect(sink, 'sink.batch_fallback');
    const progress = collect(sink, 'sink.records_written');
    const input = Array.from({ length: 10 }, (_, n) => record(n));

    // One record in flight: the batches are not made smaller for a call this small.
    const result = await sink.writeBatch(input, { tables: ['users', 'reference'], concurrency: 1 });

    // Two rows per record: batches of two records.
    expect(fake.batches.map((b) => b.queries.length)).toEqual([4, 4, 4, 4, 4]);
    expect(fake.batches[0]?.options).toEqual({ prepare: true, logged: false, isIdempotent: true });
    expect(fake.batches[0]?.queries.map((q) => [q.params[0], q.query.split(' ')[2]])).toEqual([
      [uuid(0), '"ks_test"."users"'],
      [uuid(0), '"ks_test"."users_created"'],
      [uuid(1), '"ks_test"."users"'],
      [uuid(1), '"ks_test"."users_created"'],
    ]);
    expect(result.results.filter((r) => r.status === 'failed').map((r) => r.index)).toEqual([6]);
    expect(result).toMatchObject({ written: 9, failed: 1, batches: 5, fallbacks: 1 });
    expect(fallbacks).toEqual([
      {
        records: 2,
        indexes: [6, 7],
        code: SinkErrorCode.INVALID_QUERY,
        message: expect.stringMatching(/^writing a batch of 2 records \(6, \.\.\.\) to users, users_created: bad$/),
      },
    ]);
    // Only the refused batch's two records were written again one by one, each to both tables.
    expect(fake.calls.map((c) => c.params[0]).sort()).toEqual([uuid(6), uuid(6), uuid(7), uuid(7)]);
    // Progress as each request is acknowledged: four batches of two, then record 7 on its own.
    expect(progress.map((p) => p.records).sort()).toEqual([1, 2, 2, 2, 2]);
  });

  it('on close, lets requests in flight finish, hands back the records not started, then shuts down', async () => {
    const order: string[] = [];
    const fake = fakeClient();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.client.execute = async (_query: string, params: unknown[] = []) => {
      order.push(`execute ${params[0]}`);
      await gate;
      order.push(`done ${params[0]}`);
      return { rows: [] };
    };
    fake.client.shutdown = async () => {
      order.push('shutdown');
    };
    const sink = connectedSink(fake);
    const batch = sink.writeBatch([record(0), record(1), record(2), record(3)], { concurrency: 2, batchRows: 1 });
    await new Promise((r) => setImmediate(r));
    const closed = sink.close();
    release();
    const [result] = await Promise.all([batch, closed]);

    expect(result.results.map((r) => r.status)).toEqual(['written', 'written', 'failed', 'failed']);
    const handedBack = result.results[2];
    if (handedBack?.status !== 'failed') throw new Error('expected failure');
    expect(handedBack).toMatchObject({ code: SinkErrorCode.NOT_ATTEMPTED, retriable: true, attempts: 0 });
    expect(handedBack.error.message).toBe('record 2 not attempted: the sink is closing');
    expect(order).toEqual([`execute ${uuid(0)}`, `execute ${uuid(1)}`, `done ${uuid(0)}`, `done ${uuid(1)}`, 'shutdown']);
    expect(sink.connected).toBe(false);
  });

  it('creates keyspace and tables, adds missing columns, and refuses a column of another type', async () => {
    const fake = fakeClient((query, params) => {
      if (query !== TABLE_COLUMNS_CQL) return { rows: [] };
      // `users` exists from an older version without `age`; the reference table is complete.
      if (params[1] === 'users')
        return {
          rows: [
            { column_name: 'id', type: 'uuid' },
            { column_name: 'first_name', type: 'text' },
          ],
        };
      return {
        rows: ['id', 'first_name', 'last_name', 'gender', 'address', 'postcode', 'email', 'username', 'dob', 'registered_date', 'phone', 'picture'].map(
          (c) => ({ column_name: c, type: c === 'id' ? 'uuid' : 'text' }),
        ),
      };
    });
    const sink = connectedSink(fake);
    const result = await sink.migrate({ tables: ['reference', 'users'] });
    expect(result.statements.slice(0, 3)).toEqual([
      `CREATE KEYSPACE IF NOT EXISTS "ks_test" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS "ks_test"."users_created" \(id uuid PRIMARY KEY, /),
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS "ks_test"."users" \(id uuid PRIMARY KEY, /),
    ]);
    expect(result.addedColumns).toHaveLength(24);
    expect(result.addedColumns).toContain('users.age');
    expect(result.statements).toContain('ALTER TABLE "ks_test"."users" ADD age int');
    expect(result.tables).toEqual(['users_created', 'users']);

    const mismatch = fakeClient((query) => (query === TABLE_COLUMNS_CQL ? { rows: [{ column_name: 'id', type: 'text' }] } : { rows: [] }));
    await expect(connectedSink(mismatch).migrate()).rejects.toMatchObject({ code: SinkErrorCode.SCHEMA_MISMATCH, retriable: false });
  });

  it('wraps DDL failures with the statement and keeps the retriable decision', async () => {
    const fake = fakeClient(() => new errors.ResponseError(types.responseErrorCodes.unauthorized, 'User x has no CREATE permission'));
    const error = (await connectedSink(fake)
      .migrate()
      .catch((e: unknown) => e)) as SinkError;
    expect(error).toMatchObject({ code: SinkErrorCode.MIGRATION_FAILED, retriable: false });
    expect(error.message).toBe(
      `running "CREATE KEYSPACE IF NOT EXISTS "ks_test" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}": User x has no CREATE permission`,
    );
  });
});
