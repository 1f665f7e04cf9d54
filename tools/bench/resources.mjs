#!/usr/bin/env node
// Resources: peak RSS and CPU-seconds per 1,000 records of each app.
//
// Under load, the numbers come from the drain (stream-processor) and ingest
// runs, which sample /proc/<pid>/status (VmHWM = peak RSS) and
// /proc/<pid>/stat (utime + stime) of their child processes; when a result
// is missing, that benchmark is run here first with --records. Each app is
// also started idle for --idle-seconds (orchestrator: its only figure) to
// give the baseline RSS and CPU.
//
//   node tools/bench/resources.mjs [--smoke] [--idle-seconds 20] [--records 200000] [--rerun]
//
// Writes bench-results/resources/.
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startApp, stopApp, waitReady } from './lib/apps.mjs';
import { options } from './lib/args.mjs';
import { connectClient, dropKeyspace } from './lib/cassandra.mjs';
import { ensureStack, machineInfo, requireBuiltLibs, runSuffix } from './lib/env.mjs';
import { createTopic, deleteTopics, kafkaClient } from './lib/kafka.mjs';
import { mdMachine, mdTable, readResult, round, runMain, writeResults } from './lib/output.mjs';
import { ProcessSampler, readProcess } from './lib/proc.mjs';
import { barChart, svgDocument } from './lib/svg.mjs';
import { runDrain } from './drain.mjs';
import { runIngest } from './ingest.mjs';
import { sleep } from '@userstream/tools/testing/async';

/** Starts `app` with `env`, waits until ready, samples it for `seconds`, stops it. */
async function idleBaseline(app, env, seconds, log) {
  const proc = await startApp(app, { env });
  try {
    await waitReady(proc, { timeoutMs: 90_000 });
    await sleep(1000);
    const sampler = new ProcessSampler({ [app]: proc.pid }, { intervalMs: 1000 });
    await sleep(seconds * 1000);
    const s = sampler.stop();
    const now = readProcess(proc.pid);
    const r = {
      rssMb: now ? Math.round(now.rssMb) : undefined,
      peakRssMb: now ? Math.round(now.hwmMb) : undefined,
      idleCores: s.processes[app]?.cores,
      cpuSSinceStart: round(now?.cpuS),
    };
    log(`  ${app} idle: RSS ${r.rssMb} MiB (peak ${r.peakRssMb}), ${r.idleCores} cores`);
    return r;
  } finally {
    await stopApp(proc);
  }
}

export async function runResources(config) {
  const log = config.log ?? console.log;
  requireBuiltLibs();
  const stack = await ensureStack({ log });
  const machine = machineInfo(stack);

  let drain = config.rerun ? undefined : config.drainResult;
  if (!drain) {
    log(`no drain result: running the drain with ${config.records} records`);
    drain = await runDrain({ records: config.records, env: {}, log });
  }
  let ingest = config.rerun ? undefined : config.ingestResult;
  if (!ingest) {
    log(`no ingest result: running ingest with ${config.records} records`);
    ingest = await runIngest({ records: config.records, pageSize: 1000, partitions: 4, mockPages: 5, env: {}, log });
  }

  log(`idle baselines, ${config.idleSeconds} s each ...`);
  const suffix = runSuffix();
  const topic = `bench_idle_${suffix}`;
  const client = kafkaClient();
  await createTopic(client, topic, 4);
  const cql = await connectClient();
  const idle = {};
  try {
    idle['stream-processor'] = await idleBaseline(
      'stream-processor',
      { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `bench-idle-${suffix}`, CASSANDRA_KEYSPACE: `bench_idle_${suffix}` },
      config.idleSeconds,
      log,
    );
    idle.ingest = await idleBaseline('ingest', { KAFKA_TOPIC: topic, RANDOMUSER_BASE_URL: 'http://127.0.0.1:9/api/' }, config.idleSeconds, log);
    idle.orchestrator = await idleBaseline(
      'orchestrator',
      {
        ORCHESTRATOR_PASSWORD: randomBytes(12).toString('hex'),
        ORCHESTRATOR_KEYSPACE: `bench_orch_${suffix}`,
        ORCHESTRATOR_JOB_PAUSED: 'true',
        ORCHESTRATOR_INGEST_URL: 'http://127.0.0.1:9',
        ORCHESTRATOR_PROCESSOR_URL: 'http://127.0.0.1:9',
        KAFKA_TOPIC: topic,
      },
      config.idleSeconds,
      log,
    );
  } finally {
    if (!config.keep) {
      await dropKeyspace(cql, `bench_idle_${suffix}`).catch(() => undefined);
      await dropKeyspace(cql, `bench_orch_${suffix}`).catch(() => undefined);
      await deleteTopics(client, [topic]).catch(() => undefined);
    }
    await cql.shutdown();
  }

  const apps = [
    {
      app: 'ingest',
      load: `ingest run, ${ingest.run.counts.acknowledged.toLocaleString('en-US')} records (${ingest.date})`,
      records: ingest.run.counts.acknowledged,
      peakRssMb: ingest.resources.ingest.peakRssMb,
      cpuSPer1kRecords: ingest.resources.ingest.workCpuSPer1kRecords,
      cpuSPer1kRecordsWithStartup: ingest.resources.ingest.cpuSPer1kRecords,
      coresUnderLoad: ingest.resources.processes.ingest?.cores,
      recordsPerSecond: ingest.run.recordsPerSecond,
      idle: idle.ingest,
      extra: { mockCpuSPer1kRecords: ingest.resources.mock?.cpuSPer1kRecords },
    },
    {
      app: 'stream-processor',
      load: `drain, ${drain.params.records.toLocaleString('en-US')} records (${drain.date})`,
      records: drain.params.records,
      peakRssMb: drain.resources.processor.peakRssMb,
      cpuSPer1kRecords: drain.resources.processor.workCpuSPer1kRecords,
      cpuSPer1kRecordsWithStartup: drain.resources.processor.cpuSPer1kRecords,
      coresUnderLoad: drain.resources.processes.processor?.cores,
      recordsPerSecond: drain.drain.sustainedRecordsPerSecond,
      idle: idle['stream-processor'],
      extra: {
        cassandraCpuSPer1kRecords: drain.resources.processes.cassandra
          ? round((drain.resources.processes.cassandra.cpuS / drain.params.records) * 1000)
          : undefined,
        kafkaCpuSPer1kRecords: drain.resources.processes.kafka ? round((drain.resources.processes.kafka.cpuS / drain.params.records) * 1000) : undefined,
      },
    },
    { app: 'orchestrator', load: 'idle only (it moves no records)', peakRssMb: idle.orchestrator.peakRssMb, idle: idle.orchestrator },
  ];
  return {
    benchmark: 'resources',
    date: new Date().toISOString(),
    machine,
    params: { idleSeconds: config.idleSeconds },
    apps,
    sources: { drain: drain.date, ingest: ingest.date },
  };
}

export function resourcesMarkdown(result, command) {
  const rows = result.apps.map((a) => [
    a.app,
    a.peakRssMb ?? '–',
    a.cpuSPer1kRecords ?? '–',
    a.coresUnderLoad ?? '–',
    a.recordsPerSecond?.toLocaleString('en-US') ?? '–',
    a.idle?.rssMb ?? '–',
    a.idle?.idleCores ?? '–',
    a.load,
  ]);
  const p = result.apps.find((a) => a.app === 'stream-processor');
  const i = result.apps.find((a) => a.app === 'ingest');
  return [
    '# Resources benchmark',
    '',
    'Peak RSS = VmHWM of the app process; CPU-s per 1,000 records = utime + stime of the app process over the run (from the start of the work to its end), divided by thousands of records.',
    '',
    mdTable(['app', 'peak RSS MiB', 'CPU-s / 1,000 records', 'cores under load', 'records/s', 'idle RSS MiB', 'idle cores', 'load'], rows),
    '',
    `Also spent per 1,000 records: Cassandra ${p.extra.cassandraCpuSPer1kRecords ?? '–'} CPU-s and Kafka ${p.extra.kafkaCpuSPer1kRecords ?? '–'} CPU-s while the processor drained; the mock API ${i.extra.mockCpuSPer1kRecords ?? '–'} CPU-s while ingest fetched.`,
    '',
    mdMachine(result.machine, command),
  ].join('\n');
}

export function resourcesChart(result) {
  const names = result.apps.map((a) => a.app);
  return svgDocument(
    [
      barChart({
        title: 'Memory: peak RSS under load and RSS when idle (MiB)',
        yLabel: 'MiB',
        categories: names,
        series: [
          { name: 'peak RSS (under load)', values: result.apps.map((a) => a.peakRssMb) },
          { name: 'RSS idle', values: result.apps.map((a) => a.idle?.rssMb) },
        ],
        height: 320,
      }),
      barChart({
        title: 'CPU-seconds per 1,000 records',
        yLabel: 'CPU-s',
        categories: result.apps.filter((a) => a.cpuSPer1kRecords !== undefined).map((a) => a.app),
        series: [{ name: 'CPU-s / 1k', values: result.apps.filter((a) => a.cpuSPer1kRecords !== undefined).map((a) => a.cpuSPer1kRecords), color: '#d97706' }],
        height: 300,
      }),
    ],
    { caption: `${result.machine.cpuModel}, ${result.machine.cores} cores; ${result.date}` },
  );
}

async function main() {
  const opts = options();
  const smoke = opts.bool('smoke');
  const config = {
    records: opts.count('records', smoke ? 50_000 : 200_000),
    idleSeconds: opts.number('idle-seconds', smoke ? 5 : 20),
    rerun: opts.bool('rerun'),
    keep: opts.bool('keep'),
    drainResult: readResult('drain', opts),
    ingestResult: readResult('ingest', opts),
  };
  const result = await runResources(config);
  const command = `node tools/bench/resources.mjs ${process.argv.slice(2).join(' ')}`.trim();
  writeResults('resources', { result, markdown: resourcesMarkdown(result, command), svg: resourcesChart(result) }, opts);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
