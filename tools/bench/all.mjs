#!/usr/bin/env node
// Runs every benchmark in sequence, each as its own process (drain, ceiling,
// ingest, latency, resources), then writes bench-results/summary.{md,json}
// with the headline numbers. A failed benchmark does not stop the others;
// the exit code is 1 when any failed.
//
//   node tools/bench/all.mjs [--smoke] [--records N] [--no-build] [--only drain,ceiling] [--out DIR]
//        [--env KEY=VALUE ...]
//
// --records applies to drain, ceiling and ingest; --env (stream-processor
// settings) to drain and latency. Without --no-build the
// workspace is built first (npx nx run-many -t build; cached when unchanged).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { options } from './lib/args.mjs';
import { REPO_ROOT, ensureStack, machineInfo } from './lib/env.mjs';
import { mdMachine, mdTable, readResult, resultsRoot, round } from './lib/output.mjs';

export const BENCHMARKS = ['drain', 'ceiling', 'ingest', 'latency', 'resources'];
const HERE = fileURLToPath(new URL('.', import.meta.url));

function run(command, args, { cwd = REPO_ROOT } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit', env: process.env });
    const forward = (signal) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
    child.on('error', () => resolve(1));
  });
}

function fmt(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '–';
}

/** The headline table from the benchmarks' result files. */
export function summarize(opts, statuses, machine, command) {
  const drain = readResult('drain', opts);
  const ceiling = readResult('ceiling', opts);
  const ingest = readResult('ingest', opts);
  const latency = readResult('latency', opts);
  const resources = readResult('resources', opts);
  const rows = [];
  if (drain) {
    rows.push([
      'drain: stream-processor, Kafka → Cassandra',
      `**${fmt(drain.drain.sustainedRecordsPerSecond)} records/s**`,
      `${fmt(drain.params.records)} records in ${drain.drain.seconds} s; first row after ${drain.startup.firstRowS} s; rows match: ${drain.final.countMatches}`,
    ]);
  }
  if (ceiling) {
    rows.push([
      'ceiling: minimal driver loop → Cassandra',
      `**${fmt(ceiling.best.recordsPerSecond)} records/s**`,
      `concurrency ${ceiling.best.concurrency} (${ceiling.best.source})`,
    ]);
  }
  if (drain && ceiling) {
    const perCpu =
      drain.drain.recordsPerPipelineCpuSecond && ceiling.best.recordsPerCpuSecond
        ? Math.round((drain.drain.recordsPerPipelineCpuSecond / ceiling.best.recordsPerCpuSecond) * 100)
        : undefined;
    rows.push([
      'processor / ceiling',
      `**${Math.round((drain.drain.sustainedRecordsPerSecond / ceiling.best.recordsPerSecond) * 100)} %**`,
      `target: 80 % or more${perCpu ? `; per CPU-second: ${perCpu} %` : ''}`,
    ]);
  }
  if (ingest) {
    rows.push(['ingest: mock API → Kafka', `**${fmt(ingest.run.recordsPerSecond)} records/s**`, `${fmt(ingest.run.counts.acknowledged)} records, acks=all`]);
    rows.push([
      'mock API alone (generator / HTTP)',
      `${fmt(ingest.mockAlone.generator.usersPerSecond)} / ${fmt(ingest.mockAlone.http.usersPerSecond)} users/s`,
      'pages of 5,000',
    ]);
  }
  if (drain?.load) rows.push(['kafka lib producer alone (preload)', `${fmt(drain.load.recordsPerSecond)} records/s`, 'pre-encoded records']);
  if (latency) {
    for (const s of latency.steps) {
      rows.push([
        `latency at ${fmt(s.rate)}/s${s.kind === 'knee' ? ' (knee search)' : ''}`,
        `p50 ${s.latencyMs.p50} / p99 ${s.latencyMs.p99} / p99.9 ${s.latencyMs.p999} ms`,
        s.keptUp ? 'kept up' : 'fell behind',
      ]);
    }
    const k = latency.knee;
    if (k?.firstFailingRate) rows.push(['knee', `${fmt(k.rate)}–${fmt(k.firstFailingRate)} records/s`, 'highest rate kept up – first rate that fell behind']);
    else if (k?.searched) rows.push(['knee', `≥ ${fmt(k.rate)} records/s`, 'kept up with every rate tried']);
    else if (k) rows.push(['knee', 'not searched', `--no-knee or --smoke; kept up with ${fmt(k.rate)}/s`]);
    else rows.push(['knee', `below ${fmt(latency.steps[0]?.rate)} records/s`, 'fell behind at the lowest rate']);
  }
  if (resources) {
    for (const a of resources.apps) {
      rows.push([
        `resources: ${a.app}`,
        `peak RSS ${a.peakRssMb ?? '–'} MiB`,
        a.cpuSPer1kRecords !== undefined
          ? `${a.cpuSPer1kRecords} CPU-s per 1,000 records; idle ${a.idle?.rssMb} MiB`
          : `idle ${a.idle?.rssMb} MiB, ${a.idle?.idleCores} cores`,
      ]);
    }
  }
  const markdown = [
    '# userstream benchmarks',
    '',
    mdTable(['benchmark', 'result', 'notes'], rows),
    '',
    mdTable(
      ['benchmark', 'status', 'seconds'],
      statuses.map((s) => [s.name, s.code === 0 ? 'ok' : `**failed (exit ${s.code})**`, s.seconds]),
    ),
    '',
    'Details: bench-results/<benchmark>/summary.md, result.json and chart.svg.',
    '',
    mdMachine(machine, command),
  ].join('\n');
  const json = {
    date: new Date().toISOString(),
    machine,
    statuses,
    drain: drain && { recordsPerSecond: drain.drain.sustainedRecordsPerSecond, records: drain.params.records, firstRowS: drain.startup.firstRowS },
    ceiling: ceiling && { recordsPerSecond: ceiling.best.recordsPerSecond, concurrency: ceiling.best.concurrency },
    processorShareOfCeiling: drain && ceiling ? round(drain.drain.sustainedRecordsPerSecond / ceiling.best.recordsPerSecond) : undefined,
    ingest: ingest && {
      recordsPerSecond: ingest.run.recordsPerSecond,
      mockGeneratorUsersPerSecond: ingest.mockAlone.generator.usersPerSecond,
      mockHttpUsersPerSecond: ingest.mockAlone.http.usersPerSecond,
    },
    latency: latency && { steps: latency.steps.map((s) => ({ rate: s.rate, keptUp: s.keptUp, ...s.latencyMs })), knee: latency.knee },
    resources: resources && resources.apps.map((a) => ({ app: a.app, peakRssMb: a.peakRssMb, cpuSPer1kRecords: a.cpuSPer1kRecords, idleRssMb: a.idle?.rssMb })),
  };
  return { markdown, json };
}

async function main() {
  const opts = options();
  const only = opts.string('only')?.split(',') ?? BENCHMARKS;
  const unknown = only.filter((n) => !BENCHMARKS.includes(n));
  if (unknown.length > 0) throw new Error(`--only: unknown benchmark ${unknown.join(', ')} (known: ${BENCHMARKS.join(', ')})`);
  if (opts.bool('build', true)) {
    console.log('==> building the workspace (npx nx run-many -t build)');
    const code = await run('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static']);
    if (code !== 0) throw new Error('the build failed');
  }
  const stack = await ensureStack();
  const machine = machineInfo(stack);
  const common = [];
  if (opts.bool('smoke')) common.push('--smoke');
  if (opts.has('out')) common.push(`--out=${opts.string('out')}`);
  const passRecords = opts.has('records') ? [`--records=${opts.string('records')}`] : [];
  // --env KEY=VALUE settings are for the stream-processor: passed to drain and latency.
  const passEnv = Object.entries(opts.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const statuses = [];
  for (const name of BENCHMARKS.filter((n) => only.includes(n))) {
    const args = [
      join(HERE, `${name}.mjs`),
      ...common,
      ...(['drain', 'ceiling', 'ingest'].includes(name) ? passRecords : []),
      ...(['drain', 'latency'].includes(name) ? passEnv : []),
    ];
    console.log(`\n==> node ${args.map((a) => a.replace(REPO_ROOT, '')).join(' ')}`);
    const started = performance.now();
    const code = await run(process.execPath, args);
    statuses.push({ name, code, seconds: Math.round((performance.now() - started) / 1000) });
  }
  const command = `node tools/bench/all.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const { markdown, json } = summarize(opts, statuses, machine, command);
  const root = resultsRoot(opts);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'summary.md'), `${markdown}\n`);
  writeFileSync(join(root, 'summary.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n${markdown}\n\nwrote ${join(root, 'summary.md')} and summary.json`);
  const failed = statuses.filter((s) => s.code !== 0);
  if (failed.length > 0) {
    console.error(`failed: ${failed.map((s) => s.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`bench: ${error?.stack ?? error}`);
  process.exitCode = 1;
});
