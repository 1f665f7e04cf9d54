import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, types } from 'cassandra-driver';
import { waitFor } from '@userstream/core';
import type { UserRecordV1 } from '@userstream/user-schema';
import { CassandraSink, SinkErrorCode } from '../src';

// Cassandra killed (kill -9) in the middle of a batched writeBatch, on a
// throw-away Cassandra of its own (never the shared dev stack): every record
// comes back written or retriable, every record reported written is in the
// table after the restart (durable commit log), and writing the rest again
// completes the table.
jest.setTimeout(600_000);

const STACK_CLI = path.join(__dirname, '..', '..', '..', 'tools', 'stack', 'stack.mjs');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function record(n: number): UserRecordV1 {
  return {
    id: randomUUID(),
    first_name: `First${n}`,
    last_name: `Last${n}`,
    gender: n % 2 ? 'male' : 'female',
    address: `${n} Rue de la Paix, Lyon, Rhône, France`,
    postcode: String(69000 + (n % 1000)),
    email: `user${n}@example.com`,
    username: `user${n}`,
    dob: '1988-04-11T09:31:22.000Z',
    registered_date: '2012-06-30T17:05:00.123Z',
    phone: `04-${n}`,
    picture: `https://randomuser.me/api/portraits/women/${n % 100}.jpg`,
  };
}

describe('batched writes while Cassandra is killed', () => {
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userstream-sink-down-'));
  const env: Record<string, string> = { USERSTREAM_STACK_DIR: stackDir };
  const keyspace = 'sink_down';
  let contactPoint = '';
  let sink: CassandraSink | undefined;
  let reader: Client | undefined;

  const stack = async (...args: string[]) => {
    await promisify(execFile)(process.execPath, [STACK_CLI, ...args], { env: { ...process.env, ...env }, timeout: 300_000 });
  };
  const connectReader = async () => {
    const client = new Client({
      contactPoints: [contactPoint],
      localDataCenter: 'datacenter1',
      queryOptions: { consistency: types.consistencies.localQuorum },
    });
    await client.connect();
    return client;
  };
  const readIds = async (client: Client): Promise<Set<string>> => {
    const ids = new Set<string>();
    let pageState: string | undefined;
    do {
      const page = await client.execute(`SELECT id FROM ${keyspace}.users_created`, [], { prepare: true, fetchSize: 5000, pageState, readTimeout: 60_000 });
      for (const row of page.rows) ids.add(String(row['id']));
      pageState = page.pageState ?? undefined;
    } while (pageState);
    return ids;
  };

  beforeAll(async () => {
    const [cql, storage, jmx] = [await freePort(), await freePort(), await freePort()];
    Object.assign(env, { CASSANDRA_PORT: String(cql), CASSANDRA_STORAGE_PORT: String(storage), CASSANDRA_JMX_PORT: String(jmx) });
    contactPoint = `127.0.0.1:${cql}`;
    await stack('up', 'cassandra');
  });

  afterAll(async () => {
    await sink?.close();
    await reader?.shutdown();
    // Thrown away: SIGKILL (a clean stop only spends seconds flushing what is deleted next).
    await stack('kill', 'cassandra').catch(() => undefined);
    await stack('down').catch(() => undefined);
    fs.rmSync(stackDir, { recursive: true, force: true });
  });

  it('reports every record written or retriable, and loses none of the written ones', async () => {
    sink = new CassandraSink({
      contactPoints: [contactPoint],
      localDataCenter: 'datacenter1',
      keyspace,
      requestTimeoutMs: 5000,
      write: { tables: ['reference'], batchRows: 8, concurrency: 1, maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200, deadlineMs: 5000 },
    });
    await sink.connect();
    await sink.migrate();
    const counter = await connectReader();
    reader = counter;
    const records = Array.from({ length: 30_000 }, (_, n) => record(n));

    const writing = sink.writeBatch(records);
    // Mid-batch: some rows are in, most are still to come.
    await waitFor(
      async () => {
        const rs = await counter.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.users_created`, [], { readTimeout: 30_000 });
        return Number(rs.first()['n']) >= 1000 || undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100, description: 'the first rows of the batch' },
    );
    await stack('kill', 'cassandra');
    const result = await writing;

    expect(result.written + result.failed).toBe(records.length);
    expect(result.written).toBeGreaterThanOrEqual(1000);
    expect(result.failed).toBeGreaterThan(0);
    const failed = result.results.filter((r) => r.status === 'failed');
    // Nothing was refused for good: Cassandra being gone is retriable, for every record not written.
    expect(failed.filter((r) => !r.retriable)).toEqual([]);
    expect(new Set(failed.map((r) => r.code))).not.toContain(SinkErrorCode.INVALID_QUERY);

    await reader.shutdown();
    reader = undefined;
    await stack('up', 'cassandra');
    reader = await connectReader();
    const afterRestart = await readIds(reader);
    const written = result.results.filter((r) => r.status === 'written').map((r) => r.id);
    // The commit log is durable: an acknowledged row survives kill -9.
    expect(written.filter((id) => !afterRestart.has(id))).toEqual([]);

    // Writing the rest again (what the stream-processor does after its pause) completes the table.
    const rest = failed.map((r) => records[r.index] as UserRecordV1);
    const writer = sink;
    const retried = await waitFor(
      async () => {
        const again = await writer.writeBatch(rest, { batchRows: 32, concurrency: 4 });
        return again.written === rest.length ? again : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, description: 'the sink writing again after the restart' },
    );
    expect(retried.failed).toBe(0);
    const all = await readIds(reader);
    expect(all.size).toBe(records.length);
    expect(records.every((r) => all.has(r.id))).toBe(true);
  });
});
