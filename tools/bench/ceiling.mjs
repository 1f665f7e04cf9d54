#!/usr/bin/env node
// Ceiling: the same records the drain moves, written straight to Cassandra
// by a minimal cassandra-driver loop (prepared INSERT into a table identical
// to the sink's `users`, N worker slots each awaiting one execute) at
// concurrency 16 to 512. The best sustained rate is this machine's limit for
// this table; the stream-processor's drain rate is reported as a share of it.
//
//   node tools/bench/ceiling.mjs [--records 1000000] [--smoke]
//        [--concurrency 16,32,64,128,256,512] [--sweep-records 200000] [--batch 20]
//
// The sweep writes --sweep-records per point (a fresh table each); then the
// full --records run at the best concurrency gives the ceiling (skipped when
// the sweep already wrote them all). `--batch K` adds an experiment, not
// part of the ceiling: the same records as UNLOGGED BATCHes of K rows.
// Writes bench-results/ceiling/.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import schemaPkg from '@userstream/user-schema';
import { options } from './lib/args.mjs';
import { connectClient, countRows, createUsersTable, dropKeyspace, USERS_COLUMNS, usersInsertCql } from './lib/cassandra.mjs';
import { ensureStack, machineInfo, requireBuiltLibs, runSuffix } from './lib/env.mjs';
import { microsHistogram, summarize } from './lib/hist.mjs';
import { mdMachine, mdTable, readResult, round, runMain, writeResults } from './lib/output.mjs';
import { ProcessSampler } from './lib/proc.mjs';
import { ensureRecordFile, readRecordChunks } from './lib/records.mjs';
import { barChart, formatNumber, svgDocument } from './lib/svg.mjs';

const { UserCodec } = schemaPkg;

/** Bound values of the `users` upsert, in column order (what the sink binds). */
function bind(record) {
  const params = new Array(USERS_COLUMNS.length);
  for (let i = 0; i < USERS_COLUMNS.length; i++) {
    const c = USERS_COLUMNS[i];
    const v = record[c.name];
    if (c.type === 'timestamp') params[i] = v ? new Date(v) : undefined;
    else params[i] = v;
  }
  return params;
}

/**
 * Writes the first `count` records of `file` into `keyspace.table` with
 * `concurrency` slots. Returns rate, latency and errors.
 */
async function writeAll(client, { file, count, keyspace, table, concurrency, sampler, batch = 1 }) {
  const codec = new UserCodec();
  const query = usersInsertCql(keyspace, table);
  const histogram = microsHistogram();
  const chunks = readRecordChunks(file, { count, chunkSize: 5000 });
  let current = [];
  let position = 0;
  let refill;
  let exhausted = false;
  const nextParams = async () => {
    while (position >= current.length) {
      if (exhausted) return undefined;
      refill ??= chunks.next().then((step) => {
        refill = undefined;
        if (step.done) exhausted = true;
        else {
          current = step.value.map((r) => bind(codec.decode(r.value).record));
          position = 0;
        }
      });
      await refill;
    }
    return current[position++];
  };
  // Prepare once before timing.
  const first = readRecordChunks(file, { count: 1 });
  const sample = (await first.next()).value[0];
  await first.return(undefined);
  await client.execute(query, bind(codec.decode(sample.value).record), { prepare: true });

  let written = 0;
  let errors = 0;
  let retries = 0;
  const errorKinds = {};
  const cpu0 = process.cpuUsage();
  const marker = sampler.sample();
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      let rows;
      if (batch === 1) {
        const params = await nextParams();
        if (!params) return;
        rows = [params];
      } else {
        rows = [];
        while (rows.length < batch) {
          const params = await nextParams();
          if (!params) break;
          rows.push(params);
        }
        if (rows.length === 0) return;
      }
      for (let attempt = 1; ; attempt++) {
        const t = performance.now();
        try {
          if (batch === 1) await client.execute(query, rows[0], { prepare: true });
          else
            await client.batch(
              rows.map((params) => ({ query, params })),
              { prepare: true, logged: false },
            );
          histogram.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
          written += rows.length;
          break;
        } catch (error) {
          const kind = error?.name ?? 'Error';
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
          if (attempt >= 5) {
            errors += rows.length;
            break;
          }
          retries++;
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const end = sampler.sample();
  const cpu = process.cpuUsage(cpu0);
  const cores = (name) => {
    const a = marker[name];
    const b = end[name];
    return a && b ? round((b.cpuS - a.cpuS) / (end.t - marker.t)) : undefined;
  };
  return {
    concurrency,
    ...(batch > 1 ? { rowsPerUnloggedBatch: batch } : {}),
    records: count,
    written,
    failed: errors,
    retries,
    errorKinds,
    seconds: round(seconds),
    recordsPerSecond: Math.round(written / seconds),
    latencyMs: summarize(histogram),
    recordsPerCpuSecond: Math.round(written / seconds / ((cpu.user + cpu.system) / 1e6 / seconds + (cores('cassandra') ?? 0))),
    cores: {
      client: round((cpu.user + cpu.system) / 1e6 / seconds),
      cassandra: cores('cassandra'),
      kafka: cores('kafka'),
      machine: round((end.machineBusyS - marker.machineBusyS) / (end.t - marker.t)),
    },
  };
}

export async function runCeiling(config) {
  const log = config.log ?? console.log;
  requireBuiltLibs();
  const stack = await ensureStack({ log });
  const machine = machineInfo(stack);
  const file = await ensureRecordFile(config.records, { log });
  const keyspace = `bench_ceiling_${runSuffix()}`;
  const client = await connectClient();
  const sampler = new ProcessSampler({ cassandra: stack.cassandraPid, kafka: stack.kafkaPid, bench: process.pid }, { intervalMs: 5000 });
  const sweep = [];
  /** @type {(Awaited<ReturnType<typeof writeAll>> & { rows?: number }) | undefined} */
  let full;
  let batched;
  try {
    // Warm-up (JIT, prepared statement, connection): not reported.
    await createUsersTable(client, keyspace, 'users_warmup');
    await writeAll(client, { file, count: Math.min(5000, config.records), keyspace, table: 'users_warmup', concurrency: 64, sampler });
    for (const concurrency of config.concurrency) {
      const table = `users_c${concurrency}`;
      await createUsersTable(client, keyspace, table);
      const count = Math.min(config.sweepRecords, config.records);
      log(`concurrency ${concurrency}: writing ${count} records ...`);
      const point = await writeAll(client, { file, count, keyspace, table, concurrency, sampler });
      log(
        `  ${point.recordsPerSecond} records/s, p50 ${point.latencyMs.p50} ms, p99 ${point.latencyMs.p99} ms, Cassandra ${point.cores.cassandra} cores, client ${point.cores.client} cores, failed ${point.failed}`,
      );
      sweep.push(point);
      await client.execute(`DROP TABLE "${keyspace}"."${table}"`, [], { prepare: false, readTimeout: 120_000 });
    }
    const best = sweep.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
    if (config.records > config.sweepRecords) {
      log(`full run: ${config.records} records at concurrency ${best.concurrency} ...`);
      const table = 'users_full';
      await createUsersTable(client, keyspace, table);
      full = await writeAll(client, { file, count: config.records, keyspace, table, concurrency: best.concurrency, sampler });
      full.rows = await countRows(client, keyspace, table);
      log(`  ${full.recordsPerSecond} records/s, p99 ${full.latencyMs.p99} ms, rows ${full.rows}`);
    }
    if (config.batch > 1) {
      // Not the ceiling (that is one row per request, as the sink writes): how much per-request overhead costs.
      const concurrency = Math.max(1, Math.round(sweep.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a)).concurrency / config.batch));
      log(`experiment: ${config.records} records as UNLOGGED BATCHes of ${config.batch} rows, ${concurrency} batches in flight ...`);
      const table = 'users_batched';
      await createUsersTable(client, keyspace, table);
      batched = await writeAll(client, { file, count: config.records, keyspace, table, concurrency, sampler, batch: config.batch });
      log(`  ${batched.recordsPerSecond} records/s, Cassandra ${batched.cores.cassandra} cores, client ${batched.cores.client} cores`);
    }
  } finally {
    sampler.stop();
    if (!config.keep) await dropKeyspace(client, keyspace).catch((e) => log(`could not drop ${keyspace}: ${e.message}`));
    await client.shutdown();
  }
  const bestSweep = sweep.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const ceiling = full ?? bestSweep;
  return {
    benchmark: 'ceiling',
    date: new Date().toISOString(),
    machine,
    params: {
      records: config.records,
      sweepRecords: Math.min(config.sweepRecords, config.records),
      concurrency: config.concurrency,
      driver: `cassandra-driver ${cassandraDriverVersion()}`,
      consistency: 'LOCAL_QUORUM',
      table: 'users (sink DDL)',
    },
    sweep,
    full,
    ...(batched ? { unloggedBatchExperiment: batched } : {}),
    best: {
      concurrency: ceiling.concurrency,
      recordsPerSecond: ceiling.recordsPerSecond,
      // Records per CPU-second of the client and Cassandra together (compare with the drain's records per pipeline CPU-second).
      recordsPerCpuSecond: ceiling.recordsPerCpuSecond,
      records: ceiling.records,
      source: full ? 'full run at the best sweep concurrency' : 'best sweep point',
    },
  };
}

function cassandraDriverVersion() {
  try {
    return createRequire(import.meta.url)('cassandra-driver/package.json').version;
  } catch {
    return '4.x';
  }
}

export function ceilingMarkdown(result, { drain, command }) {
  const rows = result.sweep.map((p) => [
    p.concurrency,
    p.recordsPerSecond.toLocaleString('en-US'),
    p.latencyMs.p50,
    p.latencyMs.p99,
    p.latencyMs.p999,
    p.cores.cassandra,
    p.cores.client,
    p.cores.machine,
    p.recordsPerCpuSecond?.toLocaleString('en-US'),
    p.failed,
  ]);
  const lines = [
    '# Ceiling benchmark',
    '',
    "The drain's records written straight to Cassandra by a minimal cassandra-driver loop: prepared INSERT into a table with the sink's `users` DDL, LOCAL_QUORUM, one connection, N worker slots each awaiting one `execute`.",
    '',
    `Sweep (${formatNumber(result.params.sweepRecords)} records per point, a fresh table each):`,
    '',
    mdTable(
      [
        'concurrency',
        'records/s',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'Cassandra cores',
        'client cores',
        'machine cores',
        'records per CPU-s (client + Cassandra)',
        'failed',
      ],
      rows,
    ),
    '',
  ];
  if (result.full) {
    const f = result.full;
    lines.push(
      `Full run, ${formatNumber(f.records)} records at concurrency ${f.concurrency}: **${f.recordsPerSecond.toLocaleString('en-US')} records/s** (p50 ${f.latencyMs.p50} ms, p99 ${f.latencyMs.p99} ms; Cassandra ${f.cores.cassandra} cores, client ${f.cores.client}, machine ${f.cores.machine}; ${f.recordsPerCpuSecond?.toLocaleString('en-US')} records per CPU-s; rows ${f.rows}).`,
      '',
    );
  }
  lines.push(
    `**Ceiling: ${result.best.recordsPerSecond.toLocaleString('en-US')} records/s** (${result.best.source}, concurrency ${result.best.concurrency}).`,
    '',
  );
  const b = result.unloggedBatchExperiment;
  if (b) {
    lines.push(
      `Experiment (not the ceiling): the same records as UNLOGGED BATCHes of ${b.rowsPerUnloggedBatch} rows, ${b.concurrency} batches in flight: ${b.recordsPerSecond.toLocaleString('en-US')} records/s (Cassandra ${b.cores.cassandra} cores, client ${b.cores.client}, machine ${b.cores.machine}).`,
      '',
    );
  }
  if (drain) {
    const perCpu =
      drain.drain.recordsPerPipelineCpuSecond && result.best.recordsPerCpuSecond
        ? Math.round((drain.drain.recordsPerPipelineCpuSecond / result.best.recordsPerCpuSecond) * 100)
        : undefined;
    lines.push(
      `Stream-processor drain (${drain.date}, ${formatNumber(drain.params.records)} records): ${drain.drain.sustainedRecordsPerSecond.toLocaleString('en-US')} records/s = **${Math.round((drain.drain.sustainedRecordsPerSecond / result.best.recordsPerSecond) * 100)} % of the ceiling**${perCpu ? `; per CPU-second (processor + Cassandra + Kafka vs client + Cassandra): ${perCpu} %` : ''}.`,
      '',
      'On a machine whose cores Cassandra, Kafka, the client and other work share, both rates follow the CPU they got; the per-CPU-second share factors that out.',
      '',
    );
  } else {
    lines.push('No drain result yet (run `node tools/bench/drain.mjs`) to compare with.', '');
  }
  lines.push(mdMachine(result.machine, command));
  return lines.join('\n');
}

export function ceilingChart(result, drain) {
  const categories = result.sweep.map((p) => `c=${p.concurrency}`);
  const values = result.sweep.map((p) => p.recordsPerSecond);
  const colors = result.sweep.map(() => '#2563eb');
  if (result.full) {
    categories.push(`full run\nc=${result.full.concurrency}`);
    values.push(result.full.recordsPerSecond);
    colors.push('#1e3a8a');
  }
  if (drain) {
    categories.push('stream-processor\ndrain');
    values.push(drain.drain.sustainedRecordsPerSecond);
    colors.push('#16a34a');
  }
  return svgDocument(
    [
      barChart({
        title: 'Cassandra write ceiling: minimal driver loop by concurrency (records/s)',
        yLabel: 'records/s',
        categories,
        series: [{ name: 'records/s', values, colors }],
        hlines: [{ y: result.best.recordsPerSecond, label: `ceiling ${formatNumber(result.best.recordsPerSecond)}/s`, color: '#dc2626' }],
        height: 380,
      }),
      barChart({
        title: 'Per-request latency in the sweep (ms, log scale)',
        yLabel: 'ms',
        categories: result.sweep.map((p) => `c=${p.concurrency}`),
        series: [
          { name: 'p50', values: result.sweep.map((p) => p.latencyMs.p50) },
          { name: 'p99', values: result.sweep.map((p) => p.latencyMs.p99) },
        ],
        yLog: true,
        height: 300,
      }),
    ],
    { caption: `${result.machine.cpuModel}, ${result.machine.cores} cores; ${result.date}` },
  );
}

async function main() {
  const opts = options();
  const smoke = opts.bool('smoke');
  const records = opts.count('records', smoke ? 50_000 : 1_000_000);
  const config = {
    records,
    concurrency: opts.counts('concurrency', smoke ? [32, 128] : [16, 32, 64, 128, 256, 512]),
    sweepRecords: opts.count('sweep-records', smoke ? 20_000 : 200_000),
    batch: opts.count('batch', 1),
    keep: opts.bool('keep'),
  };
  /** @type {Awaited<ReturnType<typeof runCeiling>> & { drainShare?: object }} */
  const result = await runCeiling(config);
  const drain = readResult('drain', opts);
  if (drain)
    result.drainShare = {
      drainRecordsPerSecond: drain.drain.sustainedRecordsPerSecond,
      drainDate: drain.date,
      share: round(drain.drain.sustainedRecordsPerSecond / result.best.recordsPerSecond),
    };
  const command = `node tools/bench/ceiling.mjs ${process.argv.slice(2).join(' ')}`.trim();
  writeResults('ceiling', { result, markdown: ceilingMarkdown(result, { drain, command }), svg: ceilingChart(result, drain) }, opts);
  const failed = [...result.sweep, ...(result.full ? [result.full] : [])].reduce((n, p) => n + p.failed, 0);
  if (failed > 0) throw new Error(`${failed} writes failed after 5 attempts`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
