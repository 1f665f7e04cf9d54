#!/usr/bin/env node
// Tune: drains one preloaded topic several times with different
// stream-processor settings (a fresh consumer group and keyspace each time)
// and compares the sustained rates and who used the CPU. Runs are
// interleaved across repeats so slow drift of the shared machine spreads over
// all settings.
//
//   node tools/bench/tune.mjs [--records 300000] [--repeat 1]
//        [--configs "base;WC=64;WC=256;BATCH=500;BATCH=2000;PC=1;PC=2"]
//
// A config is `base` (the defaults) or comma-separated KEY=VALUE pairs; the
// short keys WC, BATCH, PC, WAIT stand for CASSANDRA_WRITE_CONCURRENCY,
// PROCESSOR_MAX_RECORDS_PER_BATCH, PROCESSOR_PARTITIONS_CONCURRENTLY and
// PROCESSOR_MAX_WAIT_MS, SEMI=<MiB> for NODE_OPTIONS=--max-semi-space-size,
// HEAP=<MiB> for NODE_OPTIONS=--max-old-space-size;
// any other key is passed to the processor as is.
// Writes bench-results/tune/.
import { pathToFileURL } from 'node:url';
import { options } from './lib/args.mjs';
import { ensureStack, machineInfo } from './lib/env.mjs';
import { deleteTopics, kafkaClient } from './lib/kafka.mjs';
import { mdMachine, mdTable, readResult, round, runMain, writeResults } from './lib/output.mjs';
import { barChart, formatNumber, svgDocument } from './lib/svg.mjs';
import { preloadTopic, runDrain } from './drain.mjs';

const ALIASES = {
  WC: 'CASSANDRA_WRITE_CONCURRENCY',
  BATCH: 'PROCESSOR_MAX_RECORDS_PER_BATCH',
  PC: 'PROCESSOR_PARTITIONS_CONCURRENTLY',
  WAIT: 'PROCESSOR_MAX_WAIT_MS',
  BR: 'CASSANDRA_BATCH_ROWS',
  FETCH: 'PROCESSOR_FETCH_MAX_BYTES_PER_PARTITION',
};

export function parseConfigs(text) {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => {
      if (spec === 'base') return { label: 'base (defaults)', env: {} };
      const env = {};
      const labels = [];
      for (const pair of spec.split(',')) {
        const at = pair.indexOf('=');
        const k = pair.slice(0, at).trim();
        const v = pair.slice(at + 1).trim();
        if (at <= 0 || v === '') throw new Error(`--configs: bad pair ${JSON.stringify(pair)} in ${JSON.stringify(spec)}`);
        labels.push(`${k}=${v}`);
        // SEMI=<MiB>: V8's young generation size (fewer scavenges for an allocation-heavy loop).
        const nodeFlag = { SEMI: '--max-semi-space-size', HEAP: '--max-old-space-size' }[k];
        if (nodeFlag) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${nodeFlag}=${v}`.trim();
        else env[ALIASES[k] ?? k] = v;
      }
      return { label: labels.join(' '), env };
    });
}

async function main() {
  const opts = options();
  const records = opts.count('records', opts.bool('smoke') ? 30_000 : 300_000);
  const repeat = opts.count('repeat', 1);
  const configs = parseConfigs(opts.string('configs', 'base;WC=64;WC=256;BATCH=500;BATCH=2000;PC=1;PC=2'));
  const stack = await ensureStack();
  const machine = machineInfo(stack);
  const { topic, load } = await preloadTopic({ records, partitions: opts.count('partitions', 4), prefix: 'bench_tune' });
  const runs = [];
  try {
    for (let r = 0; r < repeat; r++) {
      for (const config of configs) {
        console.log(`\n[${r + 1}/${repeat}] ${config.label}`);
        const result = await runDrain({ records, topic, env: { ...opts.env, ...config.env } });
        const p = result.resources.processes;
        const run = {
          label: config.label,
          env: config.env,
          repeat: r + 1,
          recordsPerSecond: result.drain.sustainedRecordsPerSecond,
          seconds: result.drain.seconds,
          firstRowS: result.startup.firstRowS,
          meanBatchMs: result.drain.meanBatchMs,
          commits: result.drain.commits,
          cores: {
            processor: p.processor?.cores,
            cassandra: p.cassandra?.cores,
            kafka: p.kafka?.cores,
            bench: p.bench?.cores,
            machine: result.resources.machineBusyCores,
          },
          otherCores: Math.max(
            0,
            Number((result.resources.machineBusyCores - ['processor', 'cassandra', 'kafka', 'bench'].reduce((n, k) => n + (p[k]?.cores ?? 0), 0)).toFixed(2)),
          ),
          recordsPerPipelineCpuS: result.drain.recordsPerPipelineCpuSecond,
          processorCpuSPer1k: result.resources.processor.workCpuSPer1kRecords,
          processorPeakRssMb: result.resources.processor.peakRssMb,
          rowsMatch: result.final.countMatches,
        };
        console.log(
          `  ${run.recordsPerSecond} records/s; cores: processor ${run.cores.processor}, Cassandra ${run.cores.cassandra}, Kafka ${run.cores.kafka}, others ${run.otherCores}`,
        );
        runs.push(run);
      }
    }
  } finally {
    if (!opts.bool('keep')) await deleteTopics(kafkaClient(), [topic]).catch(() => undefined);
  }
  const byLabel = configs.map((c) => {
    const mine = runs.filter((r) => r.label === c.label);
    const rates = mine.map((r) => r.recordsPerSecond).sort((a, b) => a - b);
    const avg = (f) => round(mine.reduce((n, r) => n + (f(r) ?? 0), 0) / mine.length);
    return {
      label: c.label,
      env: c.env,
      medianRecordsPerSecond: rates.length % 2 === 1 ? rates[(rates.length - 1) / 2] : Math.round((rates[rates.length / 2 - 1] + rates[rates.length / 2]) / 2),
      rates,
      processorCores: avg((r) => r.cores.processor),
      cassandraCores: avg((r) => r.cores.cassandra),
      otherCores: avg((r) => r.otherCores),
      processorCpuSPer1k: avg((r) => r.processorCpuSPer1k),
      processorPeakRssMb: Math.max(...mine.map((r) => r.processorPeakRssMb ?? 0)),
      recordsPerPipelineCpuS: Math.round(avg((r) => r.recordsPerPipelineCpuS)),
      meanBatchMs: avg((r) => r.meanBatchMs),
    };
  });
  const best = byLabel.reduce((a, b) => (b.medianRecordsPerSecond > a.medianRecordsPerSecond ? b : a));
  const ceiling = readResult('ceiling', opts);
  const result = {
    benchmark: 'tune',
    date: new Date().toISOString(),
    machine,
    params: { records, repeat, topic, load: { recordsPerSecond: Math.round(load.recordsPerSecond) } },
    configs: byLabel,
    runs,
    best: best.label,
    ceiling: ceiling?.best,
  };
  const command = `node tools/bench/tune.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const markdown = [
    '# Stream-processor settings',
    '',
    `Each row drains the same preloaded ${formatNumber(records)}-record topic with a fresh group and keyspace (defaults: WC=256 BATCH=2000 PC=4 WAIT=100 BR=32 FETCH=1048576). ${repeat > 1 ? `Median of ${repeat} interleaved runs.` : 'One run each: differences below ~10 % are noise on this shared machine.'}`,
    '',
    mdTable(
      [
        'settings',
        'records/s',
        'runs',
        'records per pipeline CPU-s',
        'processor cores',
        'Cassandra cores',
        'other processes (cores)',
        'processor CPU-s / 1k',
        'processor peak RSS MiB',
        'mean batch ms',
      ],
      byLabel.map((c) => [
        c.label === best.label ? `**${c.label}**` : c.label,
        c.medianRecordsPerSecond.toLocaleString('en-US'),
        c.rates.join(', '),
        c.recordsPerPipelineCpuS.toLocaleString('en-US'),
        c.processorCores,
        c.cassandraCores,
        c.otherCores,
        c.processorCpuSPer1k,
        c.processorPeakRssMb,
        c.meanBatchMs,
      ]),
    ),
    '',
    'Records per pipeline CPU-second = records/s divided by the cores the processor, Cassandra and Kafka used: on a CPU-bound machine shared with other work it compares settings better than the raw rate, which follows whatever CPU the other processes left.',
    '',
    ceiling
      ? `Ceiling (minimal driver loop, ${ceiling.best.concurrency} in flight): ${ceiling.best.recordsPerSecond.toLocaleString('en-US')} records/s; best setting here = ${Math.round((best.medianRecordsPerSecond / ceiling.best.recordsPerSecond) * 100)} % of it.`
      : '',
    '',
    mdMachine(machine, command),
  ].join('\n');
  const svg = svgDocument(
    [
      barChart({
        title: `Drain rate by processor settings (${formatNumber(records)} records)`,
        yLabel: 'records/s',
        categories: byLabel.map((c) => c.label.replace(/ /g, '\n')),
        series: [
          {
            name: 'records/s',
            values: byLabel.map((c) => c.medianRecordsPerSecond),
            colors: byLabel.map((c) => (c.label === best.label ? '#16a34a' : '#2563eb')),
          },
        ],
        hlines: ceiling ? [{ y: ceiling.best.recordsPerSecond, label: `ceiling ${formatNumber(ceiling.best.recordsPerSecond)}/s`, color: '#dc2626' }] : [],
        height: 380,
      }),
    ],
    { caption: `${machine.cpuModel}, ${machine.cores} cores; ${result.date}` },
  );
  writeResults('tune', { result, markdown, svg }, opts);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
