#!/usr/bin/env node
// Write-throughput probe for @userstream/cassandra-sink against a real Cassandra.
//
//   npx nx run @userstream/cassandra-sink:build && node libs/cassandra-sink/bench/write-probe.js
//
// Writes BENCH_ROWS (default 20 000) fresh records per run, BENCH_REPEAT
// (default 3) runs per level in BENCH_LEVELS (default "1x128,32x8": rows per
// UNLOGGED batch x requests in flight; 1 is single-row mode), levels
// interleaved so background load hits them alike, into a
// throw-away keyspace (dropped at the end), after a small warm-up batch that
// prepares the statement. Prints one line per run and the median per level,
// and writes everything to bench-results/cassandra-write.json at the
// repository root.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { CassandraSink } = require('../dist');

const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS || '127.0.0.1:9042').split(',').map((s) => s.trim());
const localDataCenter = process.env.CASSANDRA_LOCAL_DC || 'datacenter1';
const rows = Number(process.env.BENCH_ROWS || 20000);
const levels = (process.env.BENCH_LEVELS || '1x128,32x8').split(',').map((level) => {
  const [batchRows, concurrency] = level.split('x').map(Number);
  return { name: level, batchRows, concurrency };
});
const cassandraPid = (() => {
  try {
    return Number(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '.stack', 'cassandra', 'cassandra.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
})();
/** CPU-seconds a process used so far (utime + stime), or undefined. */
function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
const tables = (process.env.BENCH_TABLES || 'users').split(',');
const repeat = Number(process.env.BENCH_REPEAT || 3);
const keyspace = `bench_sink_${Date.now()}`;
const repoRoot = path.resolve(__dirname, '..', '..', '..');

function record(n) {
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
    title: 'Mme',
    nationality: 'FR',
    cell: `06-${n}`,
    city: 'Lyon',
    state: 'Rhône',
    country: 'France',
    latitude: 45.764,
    longitude: 4.8357,
    timezone_offset: '+1:00',
    timezone_description: 'Brussels, Copenhagen, Madrid, Paris',
    age: 20 + (n % 60),
    picture_medium: `https://randomuser.me/api/portraits/med/women/${n % 100}.jpg`,
    picture_thumbnail: `https://randomuser.me/api/portraits/thumb/women/${n % 100}.jpg`,
    ingested_at: Date.now(),
  };
}

async function main() {
  const sink = new CassandraSink({ contactPoints, localDataCenter, keyspace, write: { tables } });
  await sink.connect();
  const runs = [];
  let cassandraVersion;
  try {
    cassandraVersion = await sink.ping();
    await sink.migrate();
    await sink.writeBatch(
      Array.from({ length: 500 }, (_, n) => record(n)),
      { concurrency: 32 },
    );

    let latest;
    sink.events.on('sink.write_latency', (e) => (latest = e));
    const plan = [];
    for (let r = 0; r < repeat; r++) plan.push(...levels);
    for (const { name, batchRows, concurrency } of plan) {
      const batch = Array.from({ length: rows }, (_, n) => record(n));
      const cpuBefore = process.cpuUsage();
      const serverBefore = cpuSecondsOf(cassandraPid);
      const started = process.hrtime.bigint();
      const result = await sink.writeBatch(batch, { concurrency, batchRows });
      const serverCpuS = cpuSecondsOf(cassandraPid) - serverBefore;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = process.cpuUsage(cpuBefore);
      const run = {
        level: name,
        batchRows,
        concurrency,
        batches: result.batches,
        rows,
        written: result.written,
        failed: result.failed,
        durationMs: Math.round(durationMs),
        rowsPerSec: Math.round((result.written / durationMs) * 1000),
        latencyMs: latest && { p50: round(latest.p50Ms), p99: round(latest.p99Ms), max: round(latest.maxMs) },
        // CPU the probe process itself used (driver encoding + sink), to tell client cost from server cost.
        clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        cassandraCpuMs: Number.isFinite(serverCpuS) ? Math.round(serverCpuS * 1000) : undefined,
      };
      runs.push(run);
      console.log(
        `${name.padStart(7)}: ${run.written}/${rows} rows in ${run.durationMs} ms = ${run.rowsPerSec} rows/s` +
          (run.latencyMs ? ` (per record p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, max ${run.latencyMs.max} ms)` : '') +
          `, client CPU ${run.clientCpuMs} ms, Cassandra CPU ${run.cassandraCpuMs ?? '?'} ms`,
      );
    }
  } finally {
    await sink.close();
    await dropKeyspace();
  }

  const summary = levels.map(({ name, batchRows, concurrency }) => {
    const mine = runs.filter((r) => r.level === name);
    const rates = mine.map((r) => r.rowsPerSec).sort((a, b) => a - b);
    const cpu = (key) => Math.round(mine.reduce((n, r) => n + (r[key] ?? 0), 0) / mine.length);
    return {
      level: name,
      batchRows,
      concurrency,
      runs: rates.length,
      medianRowsPerSec: rates[Math.floor(rates.length / 2)],
      minRowsPerSec: rates[0],
      maxRowsPerSec: rates[rates.length - 1],
      meanClientCpuMs: cpu('clientCpuMs'),
      meanCassandraCpuMs: cpu('cassandraCpuMs'),
    };
  });
  for (const s of summary) {
    console.log(
      `${s.level.padStart(7)}: median ${s.medianRowsPerSec} rows/s over ${s.runs} runs (min ${s.minRowsPerSec}, max ${s.maxRowsPerSec}); CPU per run: client ${s.meanClientCpuMs} ms, Cassandra ${s.meanCassandraCpuMs} ms`,
    );
  }
  const out = {
    probe: 'libs/cassandra-sink/bench/write-probe.js',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cassandraVersion,
    contactPoints,
    tables,
    note: 'single Cassandra node sharing the machine with Kafka and other work; one writeBatch per run, fresh ids, prepared upserts',
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    summary,
    runs,
  };
  const dir = path.join(repoRoot, 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cassandra-write.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path.join(dir, 'cassandra-write.json')}`);
}

async function dropKeyspace() {
  // The sink has no DROP on purpose; use the driver directly for cleanup.
  const { Client } = require('cassandra-driver');
  const client = new Client({ contactPoints, localDataCenter });
  try {
    await client.connect();
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60000 });
  } finally {
    await client.shutdown();
  }
}

function round(ms) {
  return Math.round(ms * 100) / 100;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
