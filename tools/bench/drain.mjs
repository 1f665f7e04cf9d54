#!/usr/bin/env node
// Drain: preload N records into a fresh 4-partition topic, then start the
// built stream-processor (fresh consumer group and keyspace) and measure how
// fast it empties the topic into Cassandra: sustained records/s from the
// first row until the group's lag is 0 and every record is written, the time
// to the first row, and who used the CPU meanwhile. The final row count is
// checked once at the end.
//
//   node tools/bench/drain.mjs [--records 1000000] [--smoke] [--partitions 4]
//        [--env CASSANDRA_WRITE_CONCURRENCY=256 ...] [--cpu-prof] [--keep]
//
// Writes bench-results/drain/{result.json,summary.md,chart.svg}.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { histogramBuckets, metricSum, scrapeMetrics, startApp, stopApp } from './lib/apps.mjs';
import { options } from './lib/args.mjs';
import { connectClient, countRows, dropKeyspace } from './lib/cassandra.mjs';
import { authHeaders, ensureStack, machineInfo, requireBuiltLibs, runSuffix } from './lib/env.mjs';
import { createTopic, deleteTopics, groupLag, kafkaClient, loadTopic, topicSize } from './lib/kafka.mjs';
import { mdMachine, mdTable, readResult, resultsRoot, round, runMain, writeResults } from './lib/output.mjs';
import { ProcessSampler, readProcess } from './lib/proc.mjs';
import { ThreadSampler, threadTable } from './lib/threads.mjs';
import { ensureRecordFile } from './lib/records.mjs';
import { formatNumber, lineChart, svgDocument } from './lib/svg.mjs';
import { sleep } from '@userstream/tools/testing/async';

const mib = (bytes) => (bytes > 0 ? Math.round(bytes / 2 ** 20) : undefined);

/** Preloads a fresh topic with `records` cached records; returns `{ topic, load }`. */
export async function preloadTopic({ records, partitions = 4, prefix = 'bench_drain', log = console.log }) {
  const file = await ensureRecordFile(records, { log });
  const topic = `${prefix}_${runSuffix()}`;
  const client = kafkaClient();
  await createTopic(client, topic, partitions);
  log(`loading ${records} records into ${topic} (${partitions} partitions) ...`);
  let nextReport = records / 10;
  const load = await loadTopic(client, topic, file, records, {
    onProgress: (sent) => {
      if (sent >= nextReport) {
        log(`  ${sent} / ${records}`);
        nextReport += records / 10;
      }
    },
  });
  if (load.records !== records) throw new Error(`loaded ${load.records} of ${records} records`);
  log(`loaded ${records} records in ${load.seconds.toFixed(1)} s (${Math.round(load.recordsPerSecond)} records/s produce rate)`);
  return { topic, load };
}

/**
 * Runs one drain. `config`: `{ records, partitions, env, topic (preloaded, skips the
 * load), cpuProfileDir, keep, log, stallTimeoutS }`. Returns the result object.
 */
export async function runDrain(config) {
  const log = config.log ?? console.log;
  const records = config.records;
  const partitions = config.partitions ?? 4;
  requireBuiltLibs();
  const stack = await ensureStack({ log });
  const machine = machineInfo(stack);
  const suffix = runSuffix();
  const client = kafkaClient();
  const admin = client.admin();
  const cql = await connectClient();

  const keyspace = `bench_drain_${suffix}`;
  const groupId = `bench-drain-${suffix}`;
  let topic = config.topic;
  let load;
  let ownTopic = false;
  let sampler;
  let cassandraThreads;
  let proc;
  let result;
  try {
    if (topic) {
      const size = await topicSize(admin, topic);
      if (size < records) throw new Error(`topic ${topic} holds ${size} records, fewer than --records ${records}`);
      if (size !== records) throw new Error(`topic ${topic} holds ${size} records; pass --records ${size}`);
    } else {
      ({ topic, load } = await preloadTopic({ records, partitions, log }));
      ownTopic = true;
    }

    const appEnv = {
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      CASSANDRA_KEYSPACE: keyspace,
      ...config.env,
    };
    sampler = new ProcessSampler({ kafka: stack.kafkaPid, cassandra: stack.cassandraPid, bench: process.pid }, { intervalMs: 1000 });
    log(
      `starting the stream-processor (group ${groupId}, keyspace ${keyspace}${
        Object.keys(config.env ?? {}).length
          ? `, ${Object.entries(config.env)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }) ...`,
    );
    const t0 = performance.now();
    proc = await startApp('stream-processor', { env: appEnv, cpuProfileDir: config.cpuProfileDir });
    sampler.add('processor', proc.pid);
    // Where Cassandra's CPU goes, by thread pool: the drain is bound by it on a small machine.
    cassandraThreads = stack.cassandraPid ? new ThreadSampler(stack.cassandraPid) : undefined;
    const liveS = (performance.now() - t0) / 1000;
    const at = () => (performance.now() - t0) / 1000;

    const series = [];
    let readyS;
    let firstRowS;
    let doneS;
    let written = 0;
    let deadLettered = 0;
    let lastLag = records;
    let lastLagAt = -Infinity;
    let lastProgressAt = at();
    let lastWritten = 0;
    let prevPollWritten = 0;
    let lastT = at();
    let cpuAtFirstRow;
    let processorCpuAtDone;
    const stallTimeoutS = config.stallTimeoutS ?? 120;
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`stream-processor exited with code ${proc.child.exitCode}:\n${proc.output().slice(-3000)}`);
      const t = at();
      if (readyS === undefined) {
        const res = await fetch(`${proc.url}/health/ready`, { headers: authHeaders() }).catch(() => undefined);
        if (res?.ok) readyS = at();
      }
      const metrics = await scrapeMetrics(proc.url);
      written = metricSum(metrics, 'userstream_processor_records_written_total');
      deadLettered = metricSum(metrics, 'userstream_processor_records_dead_lettered_total');
      if (firstRowS === undefined && written > 0) {
        firstRowS = t;
        cpuAtFirstRow = readProcess(proc.pid)?.cpuS;
      }
      const nearEnd = written + deadLettered >= records;
      if (t - lastLagAt >= (nearEnd ? 0.2 : 1)) {
        lastLag = (await groupLag(admin, groupId, topic)).total;
        lastLagAt = t;
      }
      const dt = t - lastT;
      if (dt >= 0.9 || series.length === 0) {
        const cpu = readProcess(proc.pid);
        series.push({
          t: round(t),
          written,
          rate: series.length === 0 ? 0 : Math.round((written - lastWritten) / dt),
          lag: lastLag,
          processorCpuS: cpu ? round(cpu.cpuS) : undefined,
          // Where the processor's memory is: RSS, V8 heap (used / reserved) and Buffers outside the heap.
          rssMb: cpu ? Math.round(cpu.rssMb) : undefined,
          heapUsedMb: mib(metricSum(metrics, 'nodejs_heap_size_used_bytes')),
          heapTotalMb: mib(metricSum(metrics, 'nodejs_heap_size_total_bytes')),
          externalMb: mib(metricSum(metrics, 'nodejs_external_memory_bytes')),
        });
        lastWritten = written;
        lastT = t;
      }
      if (written !== prevPollWritten) {
        lastProgressAt = t;
        prevPollWritten = written;
      }
      if (nearEnd && lastLag === 0) {
        doneS = t;
        processorCpuAtDone = readProcess(proc.pid)?.cpuS;
        if (t - lastT > 0.2)
          series.push({ t: round(t), written, rate: Math.round((written - lastWritten) / (t - lastT)), lag: 0, processorCpuS: round(processorCpuAtDone) });
        else Object.assign(/** @type {(typeof series)[number]} */ (series.at(-1)), { lag: 0 });
        break;
      }
      if (t - lastProgressAt > stallTimeoutS) {
        throw new Error(
          `no progress for ${stallTimeoutS} s (written ${written}, dead-lettered ${deadLettered}, lag ${lastLag})\n${proc.output().slice(-3000)}`,
        );
      }
      await sleep(firstRowS === undefined ? 100 : nearEnd ? 100 : 250);
    }
    const endMetrics = await scrapeMetrics(proc.url);
    const resources = sampler.stop();
    const cassandraThreadCpu = cassandraThreads?.stop();
    const processorProc = readProcess(proc.pid);
    const stopStarted = performance.now();
    const exit = await stopApp(proc);
    const stopS = (performance.now() - stopStarted) / 1000;

    log('counting rows ...');
    const rows = await countRows(cql, keyspace);
    const drainS = doneS - /** @type {number} */ (firstRowS);
    const writeBuckets = histogramBuckets(endMetrics, 'userstream_processor_write_batch_seconds');
    const batches = writeBuckets.at(-1)?.count ?? 0;
    const workCpuS = processorCpuAtDone !== undefined && cpuAtFirstRow !== undefined ? processorCpuAtDone - cpuAtFirstRow : undefined;
    const totalCpuS = processorCpuAtDone;
    const pipelineCores = ['processor', 'cassandra', 'kafka'].reduce((n, k) => n + (resources.processes[k]?.cores ?? 0), 0);
    const windows = rollingRates(series, 5);
    const peakRate = windows.length > 0 ? Math.max(...windows) : records / drainS;
    result = {
      benchmark: 'drain',
      date: new Date().toISOString(),
      machine,
      params: { records, partitions, topic, preloaded: !ownTopic, processorEnv: config.env ?? {}, cpuProfile: Boolean(config.cpuProfileDir) },
      load: load
        ? { records: load.records, seconds: round(load.seconds), recordsPerSecond: Math.round(load.recordsPerSecond), megabytes: round(load.bytes / 1e6) }
        : undefined,
      startup: { liveS: round(liveS), readyS: round(readyS), firstRowS: round(firstRowS) },
      drain: {
        seconds: round(drainS),
        sustainedRecordsPerSecond: Math.round(records / drainS),
        overallRecordsPerSecond: Math.round(records / doneS),
        peak5sRecordsPerSecond: Math.round(peakRate),
        // Records per CPU-second of the processor, Cassandra and Kafka together: the rate with the other work on the machine factored out.
        recordsPerPipelineCpuSecond: pipelineCores > 0 ? Math.round(records / drainS / pipelineCores) : undefined,
        writtenCounter: written,
        deadLettered,
        writeBatches: batches,
        retries: metricSum(endMetrics, 'userstream_processor_batch_retries_total'),
        commits: metricSum(endMetrics, 'userstream_processor_offset_commits_total'),
        meanBatchMs: batches > 0 ? round((metricSum(endMetrics, 'userstream_processor_write_batch_seconds_sum') / batches) * 1000) : undefined,
      },
      final: { rows, expected: records, countMatches: rows === records, stopS: round(stopS), exitCode: exit?.code },
      resources: {
        ...resources,
        // CPU of everything else on the machine (other users' work): noise to read the numbers against.
        otherCores: Math.max(0, Number((resources.machineBusyCores - Object.values(resources.processes).reduce((n, p) => n + p.cores, 0)).toFixed(2))),
        processor: {
          peakRssMb: processorProc ? Math.round(processorProc.hwmMb) : undefined,
          cpuS: round(totalCpuS),
          cpuSPer1kRecords: totalCpuS !== undefined ? round((totalCpuS / records) * 1000) : undefined,
          workCpuS: round(workCpuS),
          workCpuSPer1kRecords: workCpuS !== undefined ? round((workCpuS / records) * 1000) : undefined,
        },
      },
      cassandraThreads: cassandraThreadCpu,
      series,
      cpuSeries: sampler.samples,
    };
  } catch (error) {
    sampler?.stop();
    if (proc) await stopApp(proc, { timeoutMs: 30_000 }).catch(() => undefined);
    throw error;
  } finally {
    cassandraThreads?.stop();
    if (!config.keep) {
      await dropKeyspace(cql, keyspace).catch((e) => log(`could not drop keyspace ${keyspace}: ${e.message}`));
      if (ownTopic && topic) await deleteTopics(client, [topic]).catch(() => undefined);
    }
    await admin.close();
    await cql.shutdown();
  }
  return result;
}

/** Records/s over sliding windows of `seconds`. */
function rollingRates(series, seconds) {
  const out = [];
  for (let i = 0; i < series.length; i++) {
    const j = series.findIndex((s) => s.t >= series[i].t + seconds);
    if (j < 0) break;
    out.push((series[j].written - series[i].written) / (series[j].t - series[i].t));
  }
  return out;
}

/** The chart: records/s, lag, CPU by process. */
export function drainChart(result, ceilingRps) {
  const s = result.series;
  const rate = s.slice(1).map((p) => [p.t, p.rate]);
  const xMax = s.at(-1)?.t ?? 1;
  const hlines = [
    { y: result.drain.sustainedRecordsPerSecond, label: `sustained ${formatNumber(result.drain.sustainedRecordsPerSecond)}/s`, color: '#2563eb' },
  ];
  if (ceilingRps) hlines.push({ y: ceilingRps, label: `Cassandra ceiling ${formatNumber(ceilingRps)}/s`, color: '#dc2626' });
  const cpu = result.cpuSeries ?? [];
  const coresOf = (name) => {
    const pts = [];
    for (let i = 1; i < cpu.length; i++) {
      const a = cpu[i - 1][name];
      const b = cpu[i][name];
      if (a && b) pts.push([cpu[i].t, (b.cpuS - a.cpuS) / (cpu[i].t - cpu[i - 1].t)]);
    }
    return pts;
  };
  const machine = [];
  for (let i = 1; i < cpu.length; i++) machine.push([cpu[i].t, (cpu[i].machineBusyS - cpu[i - 1].machineBusyS) / (cpu[i].t - cpu[i - 1].t)]);
  return svgDocument(
    [
      lineChart({
        title: `Drain of ${formatNumber(result.params.records)} records: rows written per second`,
        xLabel: 'seconds since the stream-processor was started',
        yLabel: 'records/s',
        series: [{ name: 'records/s (1 s)', points: rate }],
        hlines,
        xMin: 0,
        xMax,
      }),
      lineChart({
        title: 'Consumer-group lag',
        xLabel: 'seconds since the stream-processor was started',
        yLabel: 'records',
        series: [{ name: 'lag', points: s.map((p) => [p.t, p.lag]), color: '#d97706' }],
        height: 260,
        xMin: 0,
        xMax,
      }),
      lineChart({
        title: 'CPU by process (cores, 1 s samples)',
        xLabel: 'seconds since the stream-processor was started',
        yLabel: 'cores',
        series: [
          { name: 'stream-processor', points: coresOf('processor') },
          { name: 'Cassandra', points: coresOf('cassandra') },
          { name: 'Kafka', points: coresOf('kafka') },
          { name: 'whole machine', points: machine, color: '#9ca3af' },
        ],
        height: 300,
        xMin: 0,
        xMax,
      }),
    ],
    { caption: `${result.machine.cpuModel}, ${result.machine.cores} cores; ${result.date}` },
  );
}

export function drainMarkdown(result, { ceiling, command }) {
  const d = result.drain;
  const r = result.resources;
  const p = (name) => r.processes?.[name];
  const rows = [
    ['records', formatNumber(result.params.records)],
    ['sustained drain rate (first row → lag 0)', `**${d.sustainedRecordsPerSecond.toLocaleString('en-US')} records/s**`],
    ['drain time (first row → lag 0)', `${d.seconds} s`],
    ['overall rate (process start → lag 0)', `${d.overallRecordsPerSecond.toLocaleString('en-US')} records/s`],
    ['best 5 s window', `${d.peak5sRecordsPerSecond.toLocaleString('en-US')} records/s`],
    ['records per pipeline CPU-second (processor + Cassandra + Kafka)', d.recordsPerPipelineCpuSecond?.toLocaleString('en-US') ?? '–'],
    ['time to first row (process start)', `${result.startup.firstRowS} s (HTTP live ${result.startup.liveS} s, ready ${result.startup.readyS ?? '–'} s)`],
    ['rows in Cassandra at the end', `${result.final.rows.toLocaleString('en-US')} (${result.final.countMatches ? 'matches' : '**does not match**'})`],
    ['dead-lettered / batch retries', `${d.deadLettered} / ${d.retries}`],
    ['write batches, mean batch time', `${d.writeBatches}, ${d.meanBatchMs ?? '–'} ms`],
    ['offset commits', `${d.commits}`],
    ['processor CPU per 1,000 records', `${r.processor.cpuSPer1kRecords} CPU-s (work only: ${r.processor.workCpuSPer1kRecords ?? '–'})`],
    ['processor peak RSS', `${r.processor.peakRssMb} MiB`],
    [
      'CPU while draining (cores)',
      `processor ${p('processor')?.cores ?? '–'}, Cassandra ${p('cassandra')?.cores ?? '–'}, Kafka ${p('kafka')?.cores ?? '–'}, bench ${p('bench')?.cores ?? '–'}, other processes ${r.otherCores ?? '–'}; whole machine ${r.machineBusyCores} of ${result.machine.cores}`,
    ],
  ];
  if (result.load)
    rows.push([
      'preload (kafka lib producer)',
      `${result.load.recordsPerSecond.toLocaleString('en-US')} records/s (${result.load.seconds} s, ${result.load.megabytes} MB)`,
    ]);
  if (ceiling) {
    rows.push([
      'share of the Cassandra ceiling',
      `${Math.round((d.sustainedRecordsPerSecond / ceiling.recordsPerSecond) * 100)} % of ${ceiling.recordsPerSecond.toLocaleString('en-US')} records/s (ceiling run ${ceiling.date})`,
    ]);
    if (ceiling.recordsPerCpuSecond && d.recordsPerPipelineCpuSecond) {
      rows.push([
        'share of the ceiling per CPU-second',
        `${Math.round((d.recordsPerPipelineCpuSecond / ceiling.recordsPerCpuSecond) * 100)} % (${d.recordsPerPipelineCpuSecond.toLocaleString('en-US')} vs ${ceiling.recordsPerCpuSecond.toLocaleString('en-US')} records per CPU-s)`,
      ]);
    }
  }
  const env = Object.entries(result.params.processorEnv);
  return [
    '# Drain benchmark',
    '',
    `The stream-processor (built app, child process) drains a preloaded ${result.params.partitions}-partition topic of Avro single-object records into a fresh keyspace.`,
    env.length ? `Processor settings: ${env.map(([k, v]) => `\`${k}=${v}\``).join(', ')} (others default).` : 'Processor settings: defaults.',
    '',
    mdTable(['measure', 'value'], rows),
    '',
    'The machine is shared (Kafka, Cassandra, the processor and the benchmark itself on the same cores): read the CPU row before comparing runs.',
    '',
    ...(result.cassandraThreads
      ? [
          "## Cassandra's CPU by thread group",
          '',
          'Per-thread CPU from `/proc/<pid>/task/*/stat`, sampled every 250 ms from the processor start to lag 0 (Cassandra names its worker threads after the stage they serve). System time is kernel work: syncs, thread wake-ups, network.',
          '',
          threadTable(result.cassandraThreads),
          '',
        ]
      : []),
    mdMachine(result.machine, command),
  ].join('\n');
}

async function main() {
  const opts = options();
  const smoke = opts.bool('smoke');
  const records = opts.count('records', smoke ? 50_000 : 1_000_000);
  const cpuProf = opts.bool('cpu-prof');
  const config = {
    records,
    partitions: opts.count('partitions', 4),
    env: opts.env,
    topic: opts.string('topic'),
    keep: opts.bool('keep'),
    cpuProfileDir: cpuProf ? join(resultsRoot(opts), 'drain', 'profile') : undefined,
  };
  /** @type {Awaited<ReturnType<typeof runDrain>> & { shareOfCeiling?: number }} */
  const result = await runDrain(config);
  const ceilingResult = readResult('ceiling', opts);
  const ceiling = ceilingResult?.best
    ? { recordsPerSecond: ceilingResult.best.recordsPerSecond, recordsPerCpuSecond: ceilingResult.best.recordsPerCpuSecond, date: ceilingResult.date }
    : undefined;
  if (ceiling) result.shareOfCeiling = round(result.drain.sustainedRecordsPerSecond / ceiling.recordsPerSecond);
  const command = `node tools/bench/drain.mjs ${process.argv.slice(2).join(' ')}`.trim();
  writeResults('drain', { result, markdown: drainMarkdown(result, { ceiling, command }), svg: drainChart(result, ceiling?.recordsPerSecond) }, opts);
  if (!result.final.countMatches) throw new Error(`row count ${result.final.rows} does not match the ${records} records produced`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
