#!/usr/bin/env node
// Producer throughput probe: 50 000 records of ~600 bytes through the built
// library (`npm run build` first), for a few batch sizes and compressions.
// Writes bench-results/kafka-produce.json at the repository root.
//
//   node libs/kafka/bench/produce-probe.js            (KAFKA_BROKERS, default 127.0.0.1:9092)
//   RECORDS=20000 REPEATS=1 node libs/kafka/bench/produce-probe.js
'use strict';

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { KafkaClient } = require('../dist');

const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
const RECORDS = Number(process.env.RECORDS || 50000);
const PARTITIONS = Number(process.env.PARTITIONS || 3);
// Each configuration runs REPEATS times; the median is reported (the machine is shared).
const REPEATS = Number(process.env.REPEATS || 3);
const RUNS = [
  { batchSize: 500, compression: 'none', idempotent: true },
  { batchSize: 500, compression: 'gzip', idempotent: true },
  { batchSize: 1000, compression: 'none', idempotent: true },
  { batchSize: 1000, compression: 'gzip', idempotent: true },
  { batchSize: 1000, compression: 'snappy', idempotent: true },
  { batchSize: 1000, compression: 'none', idempotent: false },
];

// User-like JSON of about 600 bytes: repeated field names, varying values, so
// gzip sees a realistic ratio rather than one string repeated 50 000 times.
function makeRecords(count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const hex = randomBytes(48).toString('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    const value = JSON.stringify({
      id,
      first_name: `First${hex.slice(32, 38)}`,
      last_name: `Last${hex.slice(38, 46)}`,
      gender: i % 2 ? 'male' : 'female',
      address: `${i % 9999} ${hex.slice(46, 54)} Street, City${hex.slice(54, 58)}, State${hex.slice(58, 62)}, Country${i % 40}`,
      postcode: String(10000 + (i % 89999)),
      email: `user.${hex.slice(62, 72)}@example.com`,
      username: `user${hex.slice(72, 80)}`,
      dob: '1987-03-14T08:21:45.123Z',
      registered_date: '2012-11-02T17:03:10.456Z',
      phone: `(${hex.slice(80, 83)}) ${hex.slice(83, 86)}-${hex.slice(86, 90)}`,
      picture: `https://randomuser.me/api/portraits/${i % 2 ? 'men' : 'women'}/${i % 100}.jpg`,
      note: hex.slice(0, 96),
    });
    out[i] = { key: id, value: Buffer.from(value), headers: { 'userstream-encoding': 'json', 'userstream-run-id': 'probe' } };
  }
  return out;
}

// One timed send of all records to a fresh topic; checks nothing was lost.
async function measure(client, admin, run, messages) {
  const topic = `produce-probe-${Date.now()}-${randomBytes(3).toString('hex')}`;
  await admin.ensureTopic(topic, { partitions: PARTITIONS });
  const producer = client.producer({ ...run, maxInFlightSends: 4 });
  try {
    await producer.connect();
    // Warm-up request so connection set-up and metadata do not count.
    await producer.sendMessages(topic, messages.slice(0, run.batchSize));
    const started = process.hrtime.bigint();
    const report = await producer.sendMessages(topic, messages);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await producer.close();
    const ends = await admin.topicEndOffsets(topic);
    const stored = ends.reduce((sum, p) => sum + p.high - p.low, 0);
    if (report.acknowledged !== messages.length || stored !== messages.length + run.batchSize) {
      throw new Error(`lost records: acknowledged ${report.acknowledged}, stored ${stored}`);
    }
    return {
      acknowledged: report.acknowledged,
      seconds: Number(seconds.toFixed(3)),
      recordsPerSecond: Math.round(report.acknowledged / seconds),
      megabytesPerSecond: Number((report.bytes / seconds / 1e6).toFixed(2)),
      requests: report.requests,
    };
  } finally {
    await producer.close();
    await admin.deleteTopic(topic);
  }
}

async function main() {
  const client = new KafkaClient({ brokers: BROKERS, clientId: 'produce-probe' });
  const admin = client.admin();
  const messages = makeRecords(RECORDS);
  const avgBytes = Math.round(messages.reduce((sum, m) => sum + m.value.length + m.key.length, 0) / messages.length);
  const results = [];
  const loadBefore = os.loadavg();
  try {
    for (const run of RUNS) {
      const samples = [];
      for (let repeat = 0; repeat < REPEATS; repeat++) samples.push(await measure(client, admin, run, messages));
      samples.sort((a, b) => a.recordsPerSecond - b.recordsPerSecond);
      const median = samples[Math.floor(samples.length / 2)];
      const result = {
        ...run,
        maxInFlightSends: 4,
        records: RECORDS,
        repeats: REPEATS,
        ...median,
        allRecordsPerSecond: samples.map((x) => x.recordsPerSecond),
      };
      results.push(result);
      console.log(
        `${run.idempotent ? 'idempotent' : 'plain     '} batch=${String(run.batchSize).padEnd(4)} compression=${run.compression.padEnd(6)} ` +
          `median ${result.recordsPerSecond} records/s  ${result.megabytesPerSecond} MB/s  (runs: ${result.allRecordsPerSecond.join(', ')})`,
      );
    }
  } finally {
    await admin.close();
  }
  const out = {
    probe: 'kafka-produce',
    date: new Date().toISOString(),
    brokers: BROKERS,
    partitions: PARTITIONS,
    averageRecordBytes: avgBytes,
    node: process.version,
    cpus: os.cpus().length,
    // The machine is shared: a high load average means the numbers are lower bounds.
    loadAverage1m: { before: Number(loadBefore[0].toFixed(2)), after: Number(os.loadavg()[0].toFixed(2)) },
    results,
  };
  const dir = path.resolve(__dirname, '../../../bench-results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kafka-produce.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.join(dir, 'kafka-produce.json')}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
