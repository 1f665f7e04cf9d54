import { randomUUID } from 'node:crypto';
import { Client, types } from 'cassandra-driver';
import type { UserRecordV1, UserRecordV2 } from '@userstream/user-schema';
import { CassandraSink, REFERENCE_COLUMNS, SinkError, SinkErrorCode, USERS_COLUMNS, type CassandraSinkOptions, type SinkEvents } from '../src';

// Integration tests against the real Cassandra started by `npm run stack:up`.
jest.setTimeout(180_000);

const contactPoints = (process.env['CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1:9042').split(',').map((s) => s.trim());
const localDataCenter = process.env['CASSANDRA_LOCAL_DC'] ?? 'datacenter1';
const keyspace = `sink_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const base: CassandraSinkOptions = { contactPoints, localDataCenter, keyspace };

function makeRecord(n: number, overrides: Partial<UserRecordV2> = {}): UserRecordV2 {
  return {
    id: randomUUID(),
    first_name: `First${n}`,
    last_name: `Last${n}`,
    gender: n % 2 === 0 ? 'female' : 'male',
    address: `${n} Rue de la Paix, Lyon, Rhône, France`,
    postcode: String(69000 + (n % 1000)),
    email: `user${n}@example.com`,
    username: `user${n}`,
    dob: '1988-04-11T09:31:22.000Z',
    registered_date: '2012-06-30T17:05:00.123Z',
    phone: `04-${n}`,
    picture: `https://randomuser.me/api/portraits/women/${n % 100}.jpg`,
    title: 'Mme',
    nationality: 'FR',
    cell: `06-${n}`,
    city: 'Lyon',
    state: 'Rhône',
    country: 'France',
    latitude: 45.764 + n / 1e6,
    longitude: n % 3 === 0 ? null : 4.8357,
    timezone_offset: '+1:00',
    timezone_description: 'Brussels, Copenhagen, Madrid, Paris',
    age: n % 5 === 0 ? null : 20 + (n % 60),
    picture_medium: `https://randomuser.me/api/portraits/med/women/${n % 100}.jpg`,
    picture_thumbnail: `https://randomuser.me/api/portraits/thumb/women/${n % 100}.jpg`,
    ingested_at: 1_700_000_000_000 + n,
    ...overrides,
  };
}

function v1Of(r: UserRecordV2): UserRecordV1 {
  return Object.fromEntries(REFERENCE_COLUMNS.map((c) => [c.name, r[c.name as keyof UserRecordV1]])) as unknown as UserRecordV1;
}

let reader: Client;
const sinks: CassandraSink[] = [];

/** A connected sink on this file's keyspace; `tables` names its own tables so each test counts only its rows. */
async function openSink(name: string, extra: Partial<CassandraSinkOptions> = {}): Promise<CassandraSink> {
  const sink = new CassandraSink({ ...base, tableNames: { users: `${name}_users`, reference: `${name}_ref` }, ...extra });
  sinks.push(sink);
  await sink.connect();
  await sink.migrate({ tables: ['users', 'reference'] });
  return sink;
}

async function selectOne(table: string, id: string, columns = '*'): Promise<types.Row | undefined> {
  const rs = await reader.execute(`SELECT ${columns} FROM ${keyspace}.${table} WHERE id = ?`, [id], { prepare: true });
  return rs.first() ?? undefined;
}

beforeAll(async () => {
  reader = new Client({ contactPoints, localDataCenter, queryOptions: { consistency: types.consistencies.localQuorum } });
  await reader.connect();
});

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  try {
    await reader.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
  } finally {
    await reader.shutdown();
  }
});

describe('CassandraSink against Cassandra', () => {
  it('answers a readiness ping with the server version', async () => {
    const sink = new CassandraSink(base);
    sinks.push(sink);
    await sink.connect();
    await sink.connect(); // idempotent
    expect(sink.connected).toBe(true);
    await expect(sink.ping()).resolves.toMatch(/^5\.0\./);
  });

  it('runs migrations twice without error and leaves the expected schema', async () => {
    const sink = new CassandraSink(base);
    sinks.push(sink);
    await sink.connect();
    const first = await sink.migrate({ tables: ['reference', 'users'] });
    const second = await sink.migrate({ tables: ['reference', 'users'] });
    expect(second.statements).toEqual(first.statements);
    expect(second.addedColumns).toEqual([]);
    expect(first.tables).toEqual(['users_created', 'users']);
    await expect((reader.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> }).checkSchemaAgreement()).resolves.toBe(true);

    const columns = async (table: string) => {
      const rs = await reader.execute(
        'SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
        [keyspace, table],
        {
          prepare: true,
        },
      );
      return Object.fromEntries(rs.rows.map((r) => [r['column_name'], `${r['type']}${r['kind'] === 'partition_key' ? ' PK' : ''}`]));
    };
    expect(await columns('users_created')).toEqual(Object.fromEntries(REFERENCE_COLUMNS.map((c) => [c.name, c.name === 'id' ? 'uuid PK' : 'text'])));
    expect(await columns('users')).toEqual(Object.fromEntries(USERS_COLUMNS.map((c) => [c.name, c.name === 'id' ? 'uuid PK' : c.type])));
    const ks = await reader.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], { prepare: true });
    expect(ks.first()?.['replication']).toEqual({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' });
  });

  it('writes 10,000 records: the count matches and a sampled row equals its input', async () => {
    const sink = await openSink('bulk');
    const batches: SinkEvents['sink.batch_written'][] = [];
    sink.events.on('sink.batch_written', (e) => batches.push(e));
    const records = Array.from({ length: 10_000 }, (_, n) => makeRecord(n));

    const result = await sink.writeBatch(records);

    expect(result.failed).toBe(0);
    expect(result.written).toBe(10_000);
    expect(result.results.every((r, i) => r.index === i && r.status === 'written' && r.id === records[i]?.id)).toBe(true);
    expect(batches).toEqual([expect.objectContaining({ records: 10_000, rows: 10_000, failed: 0, tables: ['bulk_users'] })]);
    await expect(sink.countRows('users')).resolves.toBe(10_000);
    await expect(sink.countRows('reference')).resolves.toBe(0);

    for (const n of [0, 1, 4_999, 9_999]) {
      const input = records[n] as UserRecordV2;
      const row = await selectOne('bulk_users', input.id);
      if (!row) throw new Error(`row ${n} missing`);
      const { id, ingested_at, ...rest } = input;
      expect(row['id']).toBeInstanceOf(types.Uuid);
      expect(row['id'].toString()).toBe(id);
      expect(row['ingested_at']).toEqual(new Date(ingested_at));
      for (const [column, value] of Object.entries(rest)) expect([column, row[column]]).toEqual([column, value]);
      expect(Object.keys(row).sort()).toEqual(USERS_COLUMNS.map((c) => c.name).sort());
    }
  });

  it('upserts idempotently: the same 100 records twice leave 100 rows', async () => {
    const sink = await openSink('idem');
    const records = Array.from({ length: 100 }, (_, n) => makeRecord(n));
    const first = await sink.writeBatch(records, { tables: ['users', 'reference'] });
    const second = await sink.writeBatch(records, { tables: ['users', 'reference'] });
    expect([first.written, second.written]).toEqual([100, 100]);
    await expect(sink.countRows('users')).resolves.toBe(100);
    await expect(sink.countRows('reference')).resolves.toBe(100);
  });

  it('reports exactly which records failed and writes the rest', async () => {
    const sink = await openSink('partial');
    const records: UserRecordV2[] = Array.from({ length: 50 }, (_, n) => makeRecord(n));
    const bad: Record<number, unknown> = {
      3: { ...records[3], id: 'not-a-uuid' },
      17: { ...records[17], id: '' },
      25: { ...records[25], age: 'forty' },
      40: { ...records[40], latitude: '45.7' },
      41: { ...records[41], postcode: 69001 },
    };
    const input = records.map((r, i) => (bad[i] ?? r) as UserRecordV2);

    const result = await sink.writeBatch(input);

    const failed = result.results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.index)).toEqual([3, 17, 25, 40, 41]);
    for (const r of failed) expect(r).toMatchObject({ code: SinkErrorCode.INVALID_RECORD, retriable: false, attempts: 0 });
    expect(result).toMatchObject({ written: 45, failed: 5, retriableFailures: 0 });
    await expect(sink.countRows('users')).resolves.toBe(45);
    expect(await selectOne('partial_users', records[24]?.id as string, 'id')).toBeDefined();
    expect(await selectOne('partial_users', records[25]?.id as string, 'id')).toBeUndefined();
  });

  it('reports a server-side rejection per record, at once and not retriable', async () => {
    // A sink whose reference table was never created: Cassandra rejects the statement itself.
    const sink = new CassandraSink({ ...base, tableNames: { users: 'bulk_users', reference: 'never_created' } });
    sinks.push(sink);
    await sink.connect();
    const result = await sink.writeBatch([makeRecord(1), makeRecord(2)], { tables: ['reference'] });
    expect(result.written).toBe(0);
    for (const r of result.results) {
      expect(r).toMatchObject({ status: 'failed', code: SinkErrorCode.INVALID_QUERY, retriable: false, attempts: 1 });
      if (r.status === 'failed') expect(r.error.message).toMatch(/^writing record \d to never_created: .*never_created/);
    }
  });

  it('in a mixed batch, names the one record Cassandra itself refuses and writes the others', async () => {
    const sink = await openSink('oversized');
    const records: UserRecordV2[] = Array.from({ length: 20 }, (_, n) => makeRecord(n));
    // Valid for the record's types, refused by the server: a request over the native protocol's
    // 16 MiB limit. The connection stays usable, so the records after it are written.
    records[7] = { ...records[7], picture: `https://example.org/${'x'.repeat(17 * 1024 * 1024)}` } as UserRecordV2;

    const result = await sink.writeBatch(records);

    const failed = result.results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.index)).toEqual([7]);
    expect(failed[0]).toMatchObject({ retriable: false, attempts: 1 });
    if (failed[0]?.status === 'failed') expect(failed[0].error.message).toMatch(/^writing record 7 to oversized_users: .*too big/i);
    expect(result).toMatchObject({ written: 19, failed: 1, retriableFailures: 0 });
    await expect(sink.countRows('users')).resolves.toBe(19);
    expect(await selectOne('oversized_users', records[7]?.id as string, 'id')).toBeUndefined();
  });

  it('in one batch with good records, names exactly the record Cassandra refuses and writes the others', async () => {
    const sink = await openSink('mixedbatch');
    const fallbacks: SinkEvents['sink.batch_fallback'][] = [];
    sink.events.on('sink.batch_fallback', (e) => fallbacks.push(e));
    const records: UserRecordV2[] = Array.from({ length: 20 }, (_, n) => makeRecord(n));
    records[7] = { ...records[7], picture: `https://example.org/${'x'.repeat(17 * 1024 * 1024)}` } as UserRecordV2;

    // No byte bound to speak of: the oversized record goes into the same batch as the others.
    // One record in flight: the 20 records go in one batch instead of being spread as single rows.
    const result = await sink.writeBatch(records, { batchRows: 32, batchBytes: 64 * 1024 * 1024, concurrency: 1 });

    expect(fallbacks).toEqual([expect.objectContaining({ records: 20, indexes: Array.from({ length: 20 }, (_, i) => i), code: SinkErrorCode.INVALID_QUERY })]);
    const failed = result.results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.index)).toEqual([7]);
    expect(failed[0]).toMatchObject({ retriable: false });
    if (failed[0]?.status === 'failed') expect(failed[0].error.message).toMatch(/^writing record 7 to mixedbatch_users: .*too big/i);
    expect(result).toMatchObject({ written: 19, failed: 1, retriableFailures: 0, batches: 1, fallbacks: 1 });
    await expect(sink.countRows('users')).resolves.toBe(19);
    expect(await selectOne('mixedbatch_users', records[7]?.id as string, 'id')).toBeUndefined();
  });

  it('keeps batches under the byte bound, where Cassandra would refuse one batch of all the rows', async () => {
    const sink = await openSink('bytes');
    const fallbacks: SinkEvents['sink.batch_fallback'][] = [];
    sink.events.on('sink.batch_fallback', (e) => fallbacks.push(e));
    // About 3.5 KiB each: 40 of them are 140 KiB, far over batch_size_fail_threshold (50 KiB).
    const big = (n: number) => makeRecord(n, { picture: `https://example.org/${'p'.repeat(3000)}` });

    const bounded = await sink.writeBatch(
      Array.from({ length: 40 }, (_, n) => big(n)),
      // One record in flight: full batches, whatever the call's size.
      { batchRows: 100, concurrency: 1 },
    );
    expect(bounded).toMatchObject({ written: 40, failed: 0, fallbacks: 0 });
    // 40 KiB by default: about 11 of these records per batch.
    expect(bounded.batches).toBeGreaterThanOrEqual(4);
    expect(fallbacks).toEqual([]);

    // The same rows with the byte bound lifted: the server refuses the batch, the records are written one by one.
    const unbounded = await sink.writeBatch(
      Array.from({ length: 40 }, (_, n) => big(100 + n)),
      { batchRows: 100, batchBytes: 16 * 1024 * 1024, concurrency: 1 },
    );
    expect(unbounded).toMatchObject({ written: 40, failed: 0, batches: 1, fallbacks: 1 });
    expect(fallbacks).toEqual([expect.objectContaining({ records: 40, code: SinkErrorCode.INVALID_QUERY, message: expect.stringMatching(/Batch too large/) })]);
    await expect(sink.countRows('users')).resolves.toBe(80);
  });

  it('retries transient failures with backoff until every record is written', async () => {
    // One request per connection and 16 records in flight: the driver refuses most requests as
    // "all connections busy" (retriable), a real transient failure the sink has to ride out.
    const sink = await openSink('busy', { maxRequestsPerConnection: 1 });
    const retries: SinkEvents['sink.retry'][] = [];
    sink.events.on('sink.retry', (e) => retries.push(e));
    const records = Array.from({ length: 200 }, (_, n) => makeRecord(n));
    const result = await sink.writeBatch(records, { concurrency: 16, batchRows: 1, maxAttempts: 100, initialDelayMs: 1, maxDelayMs: 20 });
    expect(result).toMatchObject({ written: 200, failed: 0 });
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]).toMatchObject({ attempt: 1, code: SinkErrorCode.UNAVAILABLE });
    expect(retries[0]?.error).toMatch(/busy/);
    expect(result.results.some((r) => r.attempts > 1)).toBe(true);
    await expect(sink.countRows('users')).resolves.toBe(200);
  });

  it('sets WRITETIME from ingested_at, so a replayed older record does not overwrite a newer one', async () => {
    const sink = await openSink('wtime');
    const newer = makeRecord(1, { ingested_at: 1_750_000_000_456, first_name: 'Newer' });
    const older = { ...newer, ingested_at: 1_740_000_000_000, first_name: 'Older' };
    const v1 = v1Of(makeRecord(2));
    const before = Date.now();
    const result = await sink.writeBatch([newer, older, v1], { tables: ['users', 'reference'], timestampFromIngestedAt: true });
    expect(result.written).toBe(3);

    const row = await selectOne('wtime_users', newer.id, 'first_name, WRITETIME(first_name) AS wt');
    expect(row?.['first_name']).toBe('Newer');
    expect(row?.['wt'].toString()).toBe('1750000000456000');
    const ref = await selectOne('wtime_ref', newer.id, 'WRITETIME(email) AS wt');
    expect(ref?.['wt'].toString()).toBe('1750000000456000');
    // A record without ingested_at gets the request's own (current) timestamp.
    const plain = await selectOne('wtime_users', v1.id, 'WRITETIME(email) AS wt, ingested_at, age');
    const micros = Number(plain?.['wt'].toString());
    expect(micros).toBeGreaterThanOrEqual(before * 1000 - 5_000_000);
    expect(micros).toBeLessThanOrEqual(Date.now() * 1000 + 5_000_000);
    expect(plain?.['ingested_at']).toBeNull();
    expect(plain?.['age']).toBeNull();
  });

  it('sets TTL on every written column when ttlSeconds is given', async () => {
    const sink = await openSink('ttl');
    const record = makeRecord(7);
    await sink.writeBatch([record], { ttlSeconds: 3600 });
    const row = await selectOne('ttl_users', record.id, 'TTL(email) AS ttl_email, TTL(age) AS ttl_age');
    expect(row?.['ttl_email']).toBeGreaterThan(3500);
    expect(row?.['ttl_email']).toBeLessThanOrEqual(3600);
    expect(row?.['ttl_age']).toBeGreaterThan(3500);
    const untouched = makeRecord(8);
    await sink.writeBatch([untouched]);
    expect((await selectOne('ttl_users', untouched.id, 'TTL(email) AS t'))?.['t']).toBeNull();
  });

  it('fills the reference table with exactly the twelve fields', async () => {
    const sink = await openSink('refonly', { write: { tables: ['reference'] } });
    const records = Array.from({ length: 20 }, (_, n) => makeRecord(n));
    const result = await sink.writeBatch(records);
    expect(result.tables).toEqual(['refonly_ref']);
    await expect(sink.countRows('reference')).resolves.toBe(20);
    await expect(sink.countRows('users')).resolves.toBe(0);
    const input = records[11] as UserRecordV2;
    const row = await selectOne('refonly_ref', input.id);
    if (!row) throw new Error('row missing');
    const asPlain = Object.fromEntries(Object.keys(row).map((k) => [k, k === 'id' ? row[k].toString() : row[k]]));
    expect(asPlain).toEqual(v1Of(input));
  });

  it('fails to connect with a retriable, contextual error when no node listens', async () => {
    const sink = new CassandraSink({ ...base, contactPoints: ['127.0.0.1:1'], connectTimeoutMs: 2000 });
    sinks.push(sink);
    const error = (await sink.connect().catch((e: unknown) => e)) as SinkError;
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ code: SinkErrorCode.CONNECT_FAILED, retriable: true });
    expect(error.message).toMatch(/^creating Cassandra session: /);
    expect(sink.connected).toBe(false);
    await expect(sink.writeBatch([makeRecord(1)])).rejects.toMatchObject({ code: SinkErrorCode.NOT_CONNECTED, retriable: true });
  });

  it('refuses an unknown local data center without retrying', async () => {
    const sink = new CassandraSink({ ...base, localDataCenter: 'no_such_dc' });
    sinks.push(sink);
    const error = (await sink.connect().catch((e: unknown) => e)) as SinkError;
    expect(error).toMatchObject({ code: SinkErrorCode.CONNECT_FAILED, retriable: false });
    expect(error.message).toMatch(/^creating Cassandra session: .*no_such_dc/);
  });

  it.each([
    ['single-row mode', 1, 4],
    ['batched mode', 32, 128],
  ])('on close, finishes the writes in flight and hands back the rest as retriable (%s)', async (_mode, batchRows, inFlight) => {
    const sink = await openSink(`closing${batchRows}`);
    const records = Array.from({ length: 2_000 }, (_, n) => makeRecord(n));
    // The first `concurrency` records go out synchronously inside writeBatch (4 single rows, or 4 batches of 32); close() then stops the rest.
    const batch = sink.writeBatch(records, { concurrency: inFlight, batchRows });
    await sink.close();
    const result = await batch;
    expect(result.written).toBe(inFlight);
    expect(result.results.slice(0, inFlight).every((r) => r.status === 'written')).toBe(true);
    for (const r of result.results.slice(inFlight)) expect(r).toMatchObject({ status: 'failed', code: SinkErrorCode.NOT_ATTEMPTED, retriable: true });
    await sink.connect();
    await expect(sink.countRows('users')).resolves.toBe(inFlight);
  });

  it('reconnects after close', async () => {
    const sink = await openSink('reopen');
    await sink.close();
    await expect(sink.writeBatch([makeRecord(1)])).rejects.toMatchObject({ code: SinkErrorCode.NOT_CONNECTED });
    await sink.connect();
    await expect(sink.writeBatch([makeRecord(1)])).resolves.toMatchObject({ written: 1 });
  });
});
