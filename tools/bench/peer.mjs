#!/usr/bin/env node
// Peer: the stream-processor side by side with the job it replaces, a Spark
// Structured Streaming job doing the reference pipeline's work
// (tools/bench/peer/spark_job.py: Kafka source from the earliest offset,
// from_json with the twelve string fields, spark-cassandra-connector into an
// `id uuid PRIMARY KEY` + eleven `text` table, with a checkpoint; local[2]).
//
// On one preloaded JSON topic (the reference producer's format, no headers),
// on the same stack, one pipeline after the other (--repeat times):
//   - drain rows/s from Cassandra's writetime() span (first to last row),
//   - time to first row (process start to the first writetime),
//   - CPU-seconds of each process tree (Spark: python + its JVM),
//   - rows per CPU-second,
// then, on a fresh topic each, end-to-end latency at --rate records/s
// (open loop; Kafka CreateTime = scheduled send time; latency = writetime -
// CreateTime, p50/p99/p99.9 over every row).
//
// It installs what Spark needs itself: PySpark from PyPI into a venv, and the
// Kafka source and Cassandra connector jars from Maven Central
// (tools/bench/peer/pom.xml), both under bench-results/.cache/peer/. Not part
// of CI (npm run bench:peer).
//
//   node tools/bench/peer.mjs [--records 300000] [--repeat 2] [--rate 1000] [--seconds 20]
//        [--no-latency] [--only ours|spark] [--keep]
//
// Writes bench-results/peer/{result.json,summary.md,chart.svg}.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';
import schemaPkg from '@userstream/user-schema';
import sinkPkg from '@userstream/cassandra-sink';
import { metricSum, scrapeMetrics, startApp, stopApp, waitReady } from './lib/apps.mjs';
import { options } from './lib/args.mjs';
import { connectClient, dropKeyspace, scanRows } from './lib/cassandra.mjs';
import { REPO_ROOT, ensureStack, machineInfo, requireBuiltLibs, runSuffix, servers } from './lib/env.mjs';
import { microsHistogram, summarize } from './lib/hist.mjs';
import { createTopic, deleteTopics, groupLag, kafkaClient, loadTopic } from './lib/kafka.mjs';
import { mdMachine, mdTable, round, runMain, writeResults } from './lib/output.mjs';
import { ProcessSampler } from './lib/proc.mjs';
import { ensureRecordFile } from './lib/records.mjs';
import { barChart, formatNumber, svgDocument } from './lib/svg.mjs';
import { RecordSource, produceStep } from './latency.mjs';
import { sleep } from '@userstream/tools/testing/async';

const { UserCodec } = schemaPkg;
const { createKeyspaceCql, createTableCql } = sinkPkg;
const run = promisify(execFile);

/** The newest Spark 3.5 whose Kafka source is on Maven Central; PySpark is pinned to the same. */
export const SPARK_VERSION = '3.5.7';
const CACHE = join(process.env.BENCH_CACHE_DIR ?? join(REPO_ROOT, 'bench-results', '.cache'), 'peer');
const JAVA_HOME =
  process.env.JAVA_HOME && existsSync(join(process.env.JAVA_HOME, 'bin', 'java')) ? process.env.JAVA_HOME : '/usr/lib/jvm/java-17-openjdk-amd64';
const TABLE = 'users_created';

/** PySpark in a venv and the connector jars, installed on first use. Returns `{ python, jars }`. */
export async function ensureSpark(log = console.log) {
  mkdirSync(CACHE, { recursive: true });
  const venv = join(CACHE, 'venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    log(`creating a Python venv in ${venv} ...`);
    await run(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ['-m', 'venv', venv]);
  }
  const installed = await run(python, ['-c', 'import pyspark; print(pyspark.__version__)']).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
  if (installed !== SPARK_VERSION) {
    log(`installing pyspark==${SPARK_VERSION} (about 320 MB) ...`);
    await run(python, ['-m', 'pip', 'install', '--quiet', `pyspark==${SPARK_VERSION}`], { maxBuffer: 64 * 2 ** 20 });
  }
  const jarDir = join(CACHE, `jars-${SPARK_VERSION}`);
  const listJars = () => (existsSync(jarDir) ? readdirSync(jarDir).filter((f) => f.endsWith('.jar')) : []);
  if (!listJars().some((f) => f.startsWith('spark-sql-kafka')) || !listJars().some((f) => f.startsWith('spark-cassandra-connector_'))) {
    log(`resolving the Kafka source and Cassandra connector jars with Maven into ${jarDir} ...`);
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(REPO_ROOT, 'tools', 'bench', 'peer', 'pom.xml'),
        'dependency:copy-dependencies',
        `-Dspark.version=${SPARK_VERSION}`,
        `-DoutputDirectory=${jarDir}`,
      ],
      {
        maxBuffer: 64 * 2 ** 20,
      },
    );
  }
  return { python, jars: listJars().map((f) => join(jarDir, f)) };
}

/** CPU-seconds (utime + stime, and what reaped children used) of `root` and all its descendants. */
export function treeCpuSeconds(root) {
  const stats = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // gone meanwhile
    }
  }
  if (!stats.has(root)) return undefined;
  let ticks = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop();
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return ticks / 100;
}

/** First and last writetime (µs) and the row count of a table, over 64 token ranges. */
async function writetimeSpan(client, keyspace, table = TABLE) {
  const ranges = 64;
  const min = -(2n ** 63n);
  const width = (2n ** 63n - 1n - min) / BigInt(ranges);
  const query = `SELECT min(writetime(email)) AS lo, max(writetime(email)) AS hi, count(*) AS n FROM "${keyspace}"."${table}" WHERE token(id) > ? AND token(id) <= ?`;
  let lo = Infinity;
  let hi = -Infinity;
  let rows = 0;
  const long = (v) => cassandra.types.Long.fromString(v.toString());
  const bounds = Array.from({ length: ranges }, (_, i) => [min + width * BigInt(i), i === ranges - 1 ? 2n ** 63n - 1n : min + width * BigInt(i + 1)]);
  let next = 0;
  const worker = async () => {
    while (next < bounds.length) {
      const [a, b] = bounds[next++];
      const r = (await client.execute(query, [long(a), long(b)], { prepare: true, readTimeout: 120_000 })).first();
      const n = Number(r.n);
      if (n === 0) continue;
      rows += n;
      lo = Math.min(lo, Number(r.lo));
      hi = Math.max(hi, Number(r.hi));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { firstUs: lo, lastUs: hi, rows };
}

async function createReferenceTable(client, keyspace) {
  await client.execute(createKeyspaceCql(keyspace, { class: 'SimpleStrategy', replicationFactor: 1 }), [], { prepare: false });
  await client.execute(createTableCql(keyspace, TABLE, 'reference'), [], { prepare: false });
  await client.metadata.checkSchemaAgreement();
}

/** The reference producer's message: JSON of the twelve fields, key = id, no headers. */
function jsonMessage(codec) {
  return (r) => ({ key: r.key, value: codec.encode(codec.decode(r.value).record, { encoding: 'json' }) });
}

/** Starts one pipeline on `topic` writing `keyspace.users_created`; returns `{ pid, startedAt, progress(), stop() }`. */
async function startPipeline(kind, { topic, keyspace, spark, log }) {
  const startedAt = Date.now();
  if (kind === 'ours') {
    const groupId = `bench-peer-${runSuffix()}`;
    const proc = await startApp('stream-processor', {
      env: { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: groupId, CASSANDRA_KEYSPACE: keyspace, CASSANDRA_TABLES: 'reference', CASSANDRA_REFERENCE_TABLE: TABLE },
    });
    const admin = kafkaClient().admin();
    return {
      pid: proc.pid,
      startedAt,
      ready: () => waitReady(proc),
      /** Rows written so far, and whether the topic is drained (lag 0). */
      async progress() {
        const written = metricSum(await scrapeMetrics(proc.url), 'userstream_processor_records_written_total');
        const lag = (await groupLag(admin, groupId, topic)).total;
        return { written, lag };
      },
      async stop() {
        await stopApp(proc).catch((e) => log(`stopping the processor: ${e.message}`));
        await admin.close().catch(() => undefined);
      },
    };
  }
  const checkpoint = join(CACHE, 'checkpoints', keyspace);
  rmSync(checkpoint, { recursive: true, force: true });
  const args = [
    join(REPO_ROOT, 'tools', 'bench', 'peer', 'spark_job.py'),
    '--brokers',
    servers().brokers.join(','),
    '--topic',
    topic,
    '--cassandra',
    servers().contactPoints[0],
    '--keyspace',
    keyspace,
    '--table',
    TABLE,
    '--checkpoint',
    checkpoint,
    '--jars',
    spark.jars.join(','),
  ];
  const output = [];
  const child = spawn(spark.python, args, {
    detached: true, // its own process group: stop() ends the JVM with it
    env: { ...process.env, JAVA_HOME, PYSPARK_PYTHON: spark.python, SPARK_LOCAL_IP: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d) => {
    output.push(d.toString());
    if (output.length > 300) output.splice(0, 100);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  /** Records the query committed: the end offsets of its newest committed micro-batch. */
  const committedRecords = () => {
    const commits = join(checkpoint, 'commits');
    if (!existsSync(commits)) return 0;
    const ids = readdirSync(commits)
      .filter((f) => /^\d+$/.test(f))
      .map(Number);
    if (ids.length === 0) return 0;
    const text = readFileSync(join(checkpoint, 'offsets', String(Math.max(...ids))), 'utf8')
      .trim()
      .split('\n');
    const offsets = JSON.parse(/** @type {string} */ (text.at(-1)))[topic] ?? {};
    return Object.values(offsets).reduce((n, o) => n + Number(o), 0);
  };
  return {
    pid: child.pid,
    startedAt,
    output: () => output.join(''),
    async ready() {
      // Spark has no readiness endpoint: it is ready once its query has started.
      const deadline = Date.now() + 180_000;
      while (!output.join('').includes('peer: streaming query started')) {
        if (child.exitCode !== null) throw new Error(`the Spark job exited (${child.exitCode}):\n${output.join('').slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`the Spark job did not start its query in 180 s:\n${output.join('').slice(-3000)}`);
        await sleep(200);
      }
    },
    async progress() {
      if (child.exitCode !== null) throw new Error(`the Spark job exited (${child.exitCode}):\n${output.join('').slice(-3000)}`);
      const committed = committedRecords();
      return { written: committed, lag: undefined };
    },
    async stop() {
      if (child.exitCode === null) {
        try {
          process.kill(-(/** @type {number} */ (child.pid)), 'SIGTERM');
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-(/** @type {number} */ (child.pid)), 'SIGKILL');
          } catch {
            // already gone
          }
        }, 20_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(checkpoint, { recursive: true, force: true });
    },
  };
}

/** One drain of the preloaded topic by one pipeline. */
async function drainOnce(kind, { topic, records, spark, cql, stack, log, keep }) {
  const keyspace = `bench_peer_${kind}_${runSuffix()}`;
  await createReferenceTable(cql, keyspace);
  const sampler = new ProcessSampler({ cassandra: stack.cassandraPid, kafka: stack.kafkaPid }, { intervalMs: 1000 });
  log(`${kind}: draining ${formatNumber(records)} records into ${keyspace}.${TABLE} ...`);
  const pipeline = await startPipeline(kind, { topic, keyspace, spark, log });
  /** @type {number | undefined} */
  let cpuAtDone;
  let doneAt;
  try {
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      const p = await pipeline.progress();
      const done = kind === 'ours' ? p.written >= records && p.lag === 0 : p.written >= records;
      if (done) {
        cpuAtDone = treeCpuSeconds(pipeline.pid);
        doneAt = Date.now();
        break;
      }
      if (Date.now() > deadline) throw new Error(`${kind}: not drained after 30 minutes (${p.written} of ${records})`);
      await sleep(250);
    }
  } finally {
    await pipeline.stop();
  }
  const resources = sampler.stop();
  const span = await writetimeSpan(cql, keyspace);
  if (!keep) await dropKeyspace(cql, keyspace).catch(() => undefined);
  const drainS = (span.lastUs - span.firstUs) / 1e6;
  const result = {
    pipeline: kind,
    rows: span.rows,
    rowsMatch: span.rows === records,
    drainS: round(drainS),
    rowsPerSecond: Math.round(span.rows / drainS),
    timeToFirstRowS: round(span.firstUs / 1000 / 1000 - pipeline.startedAt / 1000),
    doneDetectedAfterS: round((doneAt - pipeline.startedAt) / 1000),
    cpuSeconds: round(cpuAtDone),
    rowsPerCpuSecond: Math.round(span.rows / /** @type {number} */ (cpuAtDone)),
    cassandraCores: resources.processes.cassandra?.cores,
    kafkaCores: resources.processes.kafka?.cores,
    machineCores: resources.machineBusyCores,
  };
  log(
    `  ${kind}: ${formatNumber(result.rowsPerSecond)} rows/s over ${result.drainS} s (writetime span), first row after ${result.timeToFirstRowS} s, ` +
      `${result.cpuSeconds} CPU-s (${formatNumber(result.rowsPerCpuSecond)} rows per CPU-s), rows ${span.rows}`,
  );
  return result;
}

/** Latency at a fixed rate through one pipeline, on a fresh JSON topic. */
async function latencyOnce(kind, { rate, seconds, spark, cql, client, source, codec, log, keep }) {
  const suffix = runSuffix();
  const topic = `bench_peer_lat_${kind}_${suffix}`;
  const keyspace = `bench_peer_lat_${kind}_${suffix}`;
  await createTopic(client, topic, 4);
  await createReferenceTable(cql, keyspace);
  const producer = client.producer({ batchSize: 500, maxInFlightSends: 8 });
  await producer.connect();
  const json = { take: async (n) => (await source.take(n)).map(jsonMessage(codec)) };
  const produced = new Map();
  const pipeline = await startPipeline(kind, { topic, keyspace, spark, log });
  let step;
  try {
    await pipeline.ready();
    // Warm-up (not reported): Spark's first micro-batch and our first fetch pay for start-up.
    const warm = new Map();
    await source.ensure(Math.ceil(rate * 5 + rate * seconds));
    const warmStep = await produceStep({ rate, seconds: 5, source: json, producer, topic, produced: warm, headers: null });
    await waitRows(cql, keyspace, warmStep.total, 180_000);
    log(`${kind}: warmed up; ${rate}/s for ${seconds} s ...`);
    step = await produceStep({ rate, seconds, source: json, producer, topic, produced, headers: null });
    await waitRows(cql, keyspace, warmStep.total + step.total, 180_000);
  } finally {
    await producer.close({ timeoutMs: 10_000 }).catch(() => undefined);
    await pipeline.stop();
  }
  const histogram = microsHistogram();
  let negative = 0;
  await scanRows(cql, `SELECT id, writetime(email) AS wt FROM "${keyspace}"."${TABLE}"`, (row) => {
    const ts = produced.get(row.id.toString());
    if (ts === undefined) return;
    const us = Number(row.wt) - ts * 1000;
    if (us < 0) negative++;
    histogram.recordValue(Math.max(1, us));
  });
  if (!keep) {
    await dropKeyspace(cql, keyspace).catch(() => undefined);
    await deleteTopics(client, [topic]).catch(() => undefined);
  }
  const latencyMs = summarize(histogram);
  log(`  ${kind} at ${rate}/s: p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms, p99.9 ${latencyMs.p999} ms (${histogram.totalCount} rows)`);
  return { pipeline: kind, rate, seconds, records: step.total, rowsFound: histogram.totalCount, negativeClamped: negative, latencyMs };
}

async function waitRows(cql, keyspace, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = Number((await cql.execute(`SELECT COUNT(*) AS n FROM "${keyspace}"."${TABLE}"`, [], { readTimeout: 60_000 })).first().n);
    if (n >= expected) return;
    if (Date.now() > deadline) throw new Error(`${keyspace}: ${n} of ${expected} rows after ${timeoutMs} ms`);
    await sleep(250);
  }
}

export async function runPeer(config) {
  const log = config.log ?? console.log;
  requireBuiltLibs();
  const stack = await ensureStack({ log });
  const machine = machineInfo(stack);
  const pipelines = config.only ? [config.only] : ['ours', 'spark'];
  const spark = pipelines.includes('spark') ? await ensureSpark(log) : undefined;
  const codec = new UserCodec();
  const client = kafkaClient();
  const cql = await connectClient();
  const file = await ensureRecordFile(config.records, { log });
  const topic = `bench_peer_${runSuffix()}`;
  const drains = [];
  const latency = [];
  try {
    await createTopic(client, topic, 4);
    log(`loading ${formatNumber(config.records)} JSON records (the reference producer's format) into ${topic} ...`);
    const load = await loadTopic(client, topic, file, config.records, { toMessage: jsonMessage(codec) });
    if (load.records !== config.records) throw new Error(`loaded ${load.records} of ${config.records} records`);
    log(`loaded in ${load.seconds.toFixed(1)} s`);
    for (let i = 0; i < config.repeat; i++) {
      for (const kind of pipelines)
        drains.push({ round: i + 1, ...(await drainOnce(kind, { topic, records: config.records, spark, cql, stack, log, keep: config.keep })) });
    }
    if (config.latency) {
      const source = new RecordSource(log);
      try {
        for (const kind of pipelines)
          latency.push(await latencyOnce(kind, { rate: config.rate, seconds: config.seconds, spark, cql, client, source, codec, log, keep: config.keep }));
      } finally {
        await source.close();
      }
    }
  } finally {
    if (!config.keep) await deleteTopics(client, [topic]).catch(() => undefined);
    await cql.shutdown();
  }
  const best = (kind, key) => Math.max(...drains.filter((d) => d.pipeline === kind).map((d) => d[key]));
  const ratios =
    pipelines.length === 2
      ? {
          drain: round(best('ours', 'rowsPerSecond') / best('spark', 'rowsPerSecond')),
          rowsPerCpuSecond: round(best('ours', 'rowsPerCpuSecond') / best('spark', 'rowsPerCpuSecond')),
          perRound: drains
            .filter((d) => d.pipeline === 'ours')
            .map((d) => {
              const s = drains.find((x) => x.pipeline === 'spark' && x.round === d.round);
              return {
                round: d.round,
                drain: s ? round(d.rowsPerSecond / s.rowsPerSecond) : undefined,
                rowsPerCpuSecond: s ? round(d.rowsPerCpuSecond / s.rowsPerCpuSecond) : undefined,
              };
            }),
        }
      : undefined;
  return {
    benchmark: 'peer',
    date: new Date().toISOString(),
    machine,
    params: {
      records: config.records,
      repeat: config.repeat,
      rate: config.rate,
      seconds: config.seconds,
      spark: `PySpark ${SPARK_VERSION}, local[2], spark-sql-kafka-0-10 ${SPARK_VERSION}, spark-cassandra-connector 3.5.1`,
      topic: 'JSON, 4 partitions, no headers',
    },
    drains,
    latency,
    ratios,
  };
}

export function peerMarkdown(result, command) {
  const rows = result.drains.map((d) => [
    d.round,
    d.pipeline === 'ours' ? 'userstream stream-processor' : 'Spark Structured Streaming',
    `**${d.rowsPerSecond.toLocaleString('en-US')}**`,
    d.timeToFirstRowS,
    d.cpuSeconds,
    d.rowsPerCpuSecond.toLocaleString('en-US'),
    `${d.rows.toLocaleString('en-US')}${d.rowsMatch ? '' : ' **(mismatch)**'}`,
    d.cassandraCores,
  ]);
  const lat = result.latency.map((l) => [
    l.pipeline === 'ours' ? 'userstream stream-processor' : 'Spark Structured Streaming',
    `${l.rate.toLocaleString('en-US')}/s`,
    l.latencyMs.p50,
    l.latencyMs.p99,
    l.latencyMs.p999,
    l.latencyMs.max,
    l.rowsFound,
  ]);
  const r = result.ratios;
  return [
    '# Peer benchmark: userstream vs Spark Structured Streaming',
    '',
    `The same preloaded JSON topic (${formatNumber(result.params.records)} records, the reference producer's format), the same Cassandra table layout (\`id uuid PRIMARY KEY\` + eleven \`text\`), one pipeline after the other. Spark: ${result.params.spark}. Drain rate = rows / (last writetime − first writetime); time to first row = first writetime − process start; CPU = the process tree (Spark: Python and its JVM) from start to the last row.`,
    '',
    mdTable(['round', 'pipeline', 'drain rows/s', 'first row after s', 'CPU-s', 'rows per CPU-s', 'rows', 'Cassandra cores'], rows),
    '',
    r
      ? `**userstream / Spark: drain ${r.drain}×, rows per CPU-second ${r.rowsPerCpuSecond}×** (best of each; per round: ${r.perRound.map((p) => `${p.drain}× / ${p.rowsPerCpuSecond}×`).join(', ')}).`
      : '',
    '',
    lat.length > 0 ? mdTable(['pipeline', 'rate', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'rows'], lat) : 'Latency not measured (--no-latency).',
    '',
    'Latency = writetime of the row − the Kafka CreateTime of its record (set to the scheduled send time of an open-loop producer).',
    '',
    mdMachine(result.machine, command),
  ].join('\n');
}

export function peerChart(result) {
  const names = { ours: 'userstream', spark: 'Spark' };
  const cats = result.drains.map((d) => `${names[d.pipeline]}\nround ${d.round}`);
  const colors = result.drains.map((d) => (d.pipeline === 'ours' ? '#2563eb' : '#d97706'));
  const panels = [
    barChart({
      title: 'Drain rate (rows/s, writetime span)',
      yLabel: 'rows/s',
      categories: cats,
      series: [{ name: 'rows/s', values: result.drains.map((d) => d.rowsPerSecond), colors }],
      height: 320,
    }),
    barChart({
      title: 'Rows per CPU-second of the pipeline process tree',
      yLabel: 'rows / CPU-s',
      categories: cats,
      series: [{ name: 'rows per CPU-s', values: result.drains.map((d) => d.rowsPerCpuSecond), colors }],
      height: 300,
    }),
  ];
  if (result.latency.length > 0) {
    panels.push(
      barChart({
        title: `End-to-end latency at ${formatNumber(result.params.rate)} records/s (ms, log scale)`,
        yLabel: 'ms',
        categories: result.latency.map((l) => names[l.pipeline]),
        series: [
          { name: 'p50', values: result.latency.map((l) => l.latencyMs.p50) },
          { name: 'p99', values: result.latency.map((l) => l.latencyMs.p99) },
          { name: 'p99.9', values: result.latency.map((l) => l.latencyMs.p999) },
        ],
        yLog: true,
        height: 320,
      }),
    );
  }
  return svgDocument(panels, { caption: `${result.machine.cpuModel}, ${result.machine.cores} cores; ${result.date}` });
}

async function main() {
  const opts = options();
  const only = opts.string('only');
  if (only && !['ours', 'spark'].includes(only)) throw new Error('--only: ours or spark');
  const config = {
    records: opts.count('records', 300_000),
    repeat: opts.count('repeat', 2),
    rate: opts.count('rate', 1000),
    seconds: opts.number('seconds', 20),
    latency: opts.bool('latency', true),
    only,
    keep: opts.bool('keep'),
  };
  const result = await runPeer(config);
  const command = `node tools/bench/peer.mjs ${process.argv.slice(2).join(' ')}`.trim();
  writeResults('peer', { result, markdown: peerMarkdown(result, command), svg: peerChart(result) }, opts);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
