#!/usr/bin/env node
// Latency: open-loop load at fixed rates through Kafka and the built
// stream-processor into Cassandra. Each record's produce time is its
// scheduled send time (set as the Kafka message timestamp, so a producer
// that falls behind shows up as latency instead of hiding it); its write
// time is Cassandra's WRITETIME(email) (the processor's driver timestamp,
// microseconds). End-to-end latency = WRITETIME / 1000 - produce time, in an
// HDR histogram per rate: p50, p99, p99.9.
//
// Rates: 1,000/s and 5,000/s, then the knee: 10,000/s, 15,000/s, ... up to
// --max-rate, stopping at the first rate the processor cannot keep up with
// (consumer lag at the end of the step above one second of records).
//
//   node tools/bench/latency.mjs [--smoke] [--rates 1000,5000] [--seconds 20]
//        [--knee-seconds 15] [--max-rate 30000] [--no-knee] [--env K=V ...]
//        [--cpu-prof]  (the processor runs under --cpu-prof; summarise with profile.mjs)
//
// Writes bench-results/latency/.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import corePkg from '@userstream/core';
import { bucketQuantile, histogramBuckets, metricSum, scrapeMetrics, startApp, stopApp, waitReady } from './lib/apps.mjs';
import { options } from './lib/args.mjs';
import { connectClient, dropKeyspace, scanRows } from './lib/cassandra.mjs';
import { ensureStack, machineInfo, requireBuiltLibs, runSuffix } from './lib/env.mjs';
import { microsHistogram, summarize } from './lib/hist.mjs';
import { AVRO_HEADERS, createTopic, deleteTopics, groupLag, kafkaClient } from './lib/kafka.mjs';
import { mdMachine, mdTable, resultsRoot, round, runMain, writeResults } from './lib/output.mjs';
import { ProcessSampler } from './lib/proc.mjs';
import { ensureRecordFile, readRecordChunks } from './lib/records.mjs';
import { barChart, formatNumber, lineChart, svgDocument } from './lib/svg.mjs';
import { sleep } from '@userstream/tools/testing/async';

const E2E = 'userstream_processor_end_to_end_latency_seconds';

/**
 * Pulls records from the cache across steps. `ensure(n)` makes sure n more
 * can be taken (switching to a larger cache file, generated if needed, and
 * skipping what was used): call it between steps, never during one.
 */
export class RecordSource {
  constructor(log) {
    this.log = log;
    this.capacity = 0;
    this.consumed = 0;
    this.buffer = [];
    this.position = 0;
  }

  async ensure(n) {
    if (this.consumed + n <= this.capacity) return;
    const want = Math.max(this.consumed + n, 100_000);
    const file = await ensureRecordFile(want, { log: this.log });
    await this.chunks?.return(undefined);
    this.chunks = readRecordChunks(file, { count: want, chunkSize: 5000 });
    this.capacity = want;
    this.buffer = [];
    this.position = 0;
    for (let skipped = 0; skipped < this.consumed;) {
      const step = await this.chunks.next();
      if (step.done) throw new Error('cache file shorter than expected');
      const k = Math.min(step.value.length, this.consumed - skipped);
      skipped += k;
      if (k < step.value.length) {
        this.buffer = step.value;
        this.position = k;
      }
    }
  }

  async take(n) {
    const out = [];
    while (out.length < n) {
      if (this.position >= this.buffer.length) {
        const step = await /** @type {NonNullable<RecordSource['chunks']>} */ (this.chunks).next();
        if (step.done) throw new Error('ran out of cached records (RecordSource.ensure not called?)');
        this.buffer = step.value;
        this.position = 0;
      }
      const k = Math.min(n - out.length, this.buffer.length - this.position);
      for (let i = 0; i < k; i++) out.push(this.buffer[this.position++]);
    }
    this.consumed += out.length;
    return out;
  }

  async close() {
    await this.chunks?.return(undefined);
  }
}

/**
 * Sends `rate` records/s for `seconds`, open loop: every few ms it sends
 * the records whose scheduled time has come, without waiting for earlier
 * sends. Returns the schedule's start/end and what the producer achieved.
 * `headers: null` sends the records without headers.
 * @param {{ rate: number, seconds: number, source: { take(n: number): Promise<any[]> }, producer: { sendMessages(topic: string, messages: any[]): Promise<unknown> }, topic: string, produced: Map<any, number>, onTick?: () => void, headers?: Readonly<Record<string, string>> | null }} options
 */
export async function produceStep({ rate, seconds, source, producer, topic, produced, onTick, headers = AVRO_HEADERS }) {
  const total = Math.round(rate * seconds);
  const start = Date.now() + 10;
  const interval = 1000 / rate;
  let sent = 0;
  let failure;
  const sends = new corePkg.TaskSet();
  let lastTick = start;
  while (sent < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor((now - start) / interval) + 1);
    if (due > sent) {
      const records = await source.take(due - sent);
      const messages = records.map((r, i) => {
        const ts = Math.round(start + (sent + i) * interval);
        produced.set(r.key, ts);
        return { key: r.key, value: r.value, ...(headers ? { headers } : {}), timestamp: String(ts) };
      });
      sent = due;
      const p = producer.sendMessages(topic, messages).catch((error) => {
        failure ??= error;
      });
      sends.track(p);
    }
    if (failure) throw failure;
    if (now - lastTick >= 1000) {
      lastTick = now;
      onTick?.();
    }
    await sleep(2);
  }
  const scheduledEnd = start + (total - 1) * interval;
  const lastSendAt = Date.now();
  await sends.drain();
  if (failure) throw failure;
  const ackedAt = Date.now();
  return {
    start,
    end: scheduledEnd,
    total,
    lateMs: Math.max(0, lastSendAt - scheduledEnd),
    ackedAfterMs: ackedAt - scheduledEnd,
    achievedRate: total / ((lastSendAt - start) / 1000),
  };
}

export async function runLatency(config) {
  const log = config.log ?? console.log;
  requireBuiltLibs();
  const stack = await ensureStack({ log });
  const machine = machineInfo(stack);
  const fixed = config.rates;
  const knee = config.knee ? [10_000, 15_000, 20_000, 25_000, 30_000, 40_000].filter((r) => r <= config.maxRate && r > Math.max(...fixed)) : [];
  // JIT, connections and prepared statements warm up first: the first seconds after start are slow.
  const warmup = { rate: Math.min(1000, Math.min(...fixed)), seconds: config.smoke ? 3 : 5 };
  const source = new RecordSource(log);
  await source.ensure(Math.ceil(warmup.rate * warmup.seconds + fixed.reduce((n, r) => n + r * config.seconds, 0)));
  const suffix = runSuffix();
  const topic = `bench_latency_${suffix}`;
  const keyspace = `bench_latency_${suffix}`;
  const groupId = `bench-latency-${suffix}`;
  const client = kafkaClient();
  const admin = client.admin();
  const producer = client.producer({ batchSize: 500, maxInFlightSends: 8 });
  let cql;
  const cleanupStores = async () => {
    if (!config.keep) {
      if (cql) await dropKeyspace(cql, keyspace).catch(() => undefined);
      await deleteTopics(client, [topic]).catch(() => undefined);
    }
    await admin.close().catch(() => undefined);
    await cql?.shutdown().catch(() => undefined);
  };
  const produced = new Map();
  const steps = [];
  const lagSeries = [];
  const sampler = new ProcessSampler({ kafka: stack.kafkaPid, cassandra: stack.cassandraPid, bench: process.pid }, { intervalMs: 1000 });
  const t0 = Date.now();
  let proc;
  let producedTotal = 0;
  let failure;
  try {
    await createTopic(client, topic, config.partitions);
    cql = await connectClient();
    await producer.connect();
    proc = await startApp('stream-processor', {
      env: { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: groupId, CASSANDRA_KEYSPACE: keyspace, ...config.env },
      cpuProfileDir: config.cpuProfileDir,
    });
    sampler.add('processor', proc.pid);
    await waitReady(proc);
    log(`stream-processor ready (group ${groupId}); warm-up ${warmup.rate}/s for ${warmup.seconds} s`);

    const pollLag = async (label) => {
      const lag = (await groupLag(admin, groupId, topic)).total;
      lagSeries.push({ t: round((Date.now() - t0) / 1000), lag, label });
      return lag;
    };
    const drained = async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lag = await pollLag('drain');
        const written = metricSum(await scrapeMetrics(proc.url), 'userstream_processor_records_written_total');
        if (lag === 0 && written >= producedTotal) return true;
        if (Date.now() > deadline) return false;
        await sleep(250);
      }
    };

    const runStep = async (rate, seconds, kind) => {
      await source.ensure(Math.ceil(rate * seconds));
      const before = histogramBuckets(await scrapeMetrics(proc.url), E2E);
      const lagPolls = [];
      const schedule = await produceStep({
        rate,
        seconds,
        source,
        producer,
        topic,
        produced,
        onTick: () => {
          lagPolls.push(pollLag(`${rate}/s`).catch(() => undefined));
        },
      });
      producedTotal += schedule.total;
      await Promise.all(lagPolls);
      const lagAtEnd = await pollLag(`${rate}/s end`);
      const keptUp = lagAtEnd <= Math.max(rate, 500);
      const drainStarted = Date.now();
      const ok = await drained(keptUp ? 60_000 : 180_000);
      if (!ok) throw new Error(`the processor did not drain ${rate}/s step within the timeout (lag ${lagSeries.at(-1)?.lag})`);
      const after = histogramBuckets(await scrapeMetrics(proc.url), E2E);
      const step = {
        kind,
        rate,
        seconds,
        records: schedule.total,
        start: schedule.start,
        end: schedule.end,
        achievedProduceRate: Math.round(schedule.achievedRate),
        producerLateMs: schedule.lateMs,
        lagAtEnd,
        drainAfterStepS: round((Date.now() - drainStarted) / 1000),
        keptUp,
        processorHistogram: { p50Le: bucketQuantile(before, after, 0.5), p99Le: bucketQuantile(before, after, 0.99) },
      };
      log(
        `  ${rate}/s for ${seconds} s: ${schedule.total} records, lag at end ${lagAtEnd}, ${keptUp ? 'kept up' : 'fell behind'}; drained ${step.drainAfterStepS} s later`,
      );
      return step;
    };

    await runStep(warmup.rate, warmup.seconds, 'warmup');
    for (const rate of fixed) steps.push(await runStep(rate, config.seconds, 'fixed'));
    if (knee.length > 0 && steps.every((s) => s.keptUp)) {
      for (const rate of knee) {
        const step = await runStep(rate, config.kneeSeconds, 'knee');
        steps.push(step);
        if (!step.keptUp) break;
      }
      // One bisection step between the last rate kept up with and the first that was not.
      const failing = /** @type {(typeof steps)[number]} */ (steps.at(-1));
      const ok = steps.at(-2);
      if (!failing.keptUp && ok?.keptUp && failing.rate / ok.rate > 1.25) {
        const mid = Math.round((ok.rate + failing.rate) / 2 / 500) * 500;
        steps.push(await runStep(mid, config.kneeSeconds, 'knee'));
      }
    }
  } catch (error) {
    failure = error;
  } finally {
    await source.close().catch(() => undefined);
    await producer.close({ timeoutMs: 10_000 }).catch(() => undefined);
    if (proc) await stopApp(proc).catch((e) => log(`stopping the processor: ${e.message}`));
  }
  const resources = sampler.stop();
  if (failure) {
    await cleanupStores();
    throw failure;
  }

  log('reading write times back from Cassandra ...');
  const histograms = steps.map(() => microsHistogram());
  const perSecond = [];
  let negative = 0;
  let unknown = 0;
  let rows = 0;
  try {
    rows = await scanRows(cql, `SELECT id, writetime(email) AS wt FROM "${keyspace}"."users"`, (row) => {
      const ts = produced.get(row.id.toString());
      if (ts === undefined) {
        unknown++;
        return;
      }
      const i = steps.findIndex((s) => ts >= s.start && ts <= s.end + 1);
      if (i < 0) return; // warm-up
      const us = Number(row.wt) - ts * 1000;
      if (us < 0) negative++;
      histograms[i].recordValue(Math.max(1, us));
      const second = Math.floor((ts - t0) / 1000);
      (perSecond[second] ??= []).push(us / 1000);
    });
  } finally {
    await cleanupStores();
  }
  steps.forEach((s, i) => {
    s.latencyMs = summarize(histograms[i]);
    s.rowsFound = histograms[i].totalCount;
  });
  const byRate = [...steps].sort((a, b) => a.rate - b.rate);
  const firstFailing = byRate.find((s) => !s.keptUp);
  const kneeStep = byRate.filter((s) => s.keptUp && (!firstFailing || s.rate < firstFailing.rate)).at(-1);
  // Latency by second of produce time: shows whether the tail comes in bursts (flushes, GC, rebalances) or evenly.
  const timeline = [];
  perSecond.forEach((values, second) => {
    if (!values || values.length === 0) return;
    values.sort((a, b) => a - b);
    const q = (p) => values[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)];
    timeline.push({ t: second, records: values.length, p50: round(q(0.5)), p99: round(q(0.99)), max: round(values[values.length - 1]) });
  });
  return {
    benchmark: 'latency',
    date: new Date().toISOString(),
    machine,
    params: {
      rates: fixed,
      kneeCandidates: knee,
      seconds: config.seconds,
      kneeSeconds: config.kneeSeconds,
      partitions: config.partitions,
      processorEnv: config.env,
      keptUpRule: 'consumer lag at the end of the step <= one second of records (min 500)',
    },
    steps,
    knee: kneeStep
      ? { searched: knee.length > 0, rate: kneeStep.rate, firstFailingRate: firstFailing?.rate, atLadderTop: !firstFailing && knee.length > 0 }
      : undefined,
    check: { rowsScanned: rows, producedTotal: produced.size, unknownRows: unknown, negativeLatencies: negative },
    lagSeries,
    timeline,
    resources,
  };
}

export function latencyMarkdown(result, command) {
  const rows = result.steps.map((s) => [
    `${s.rate.toLocaleString('en-US')}/s${s.kind === 'knee' ? ' (knee search)' : ''}`,
    s.records.toLocaleString('en-US'),
    s.latencyMs.p50,
    s.latencyMs.p99,
    s.latencyMs.p999,
    s.latencyMs.max,
    s.keptUp ? 'yes' : '**no**',
    s.lagAtEnd,
    s.achievedProduceRate.toLocaleString('en-US'),
  ]);
  const k = result.knee;
  const kneeLine = k
    ? k.atLadderTop
      ? `Knee: not reached; the processor kept up with every rate tried, up to ${k.rate.toLocaleString('en-US')}/s.`
      : k.firstFailingRate
        ? `**Knee: between ${k.rate.toLocaleString('en-US')}/s (kept up) and ${k.firstFailingRate.toLocaleString('en-US')}/s (fell behind).**`
        : `Knee search not run; highest rate kept up with: ${k.rate.toLocaleString('en-US')}/s.`
    : 'The processor fell behind at the lowest rate.';
  const at1000 = result.steps.find((s) => s.rate === 1000);
  return [
    '# End-to-end latency benchmark',
    '',
    "Open-loop load at fixed rates: Kafka message timestamp = the scheduled send time; write time = `WRITETIME(email)` of the row (the stream-processor's driver timestamp); latency = write time − produce time, HDR histogram per rate (milliseconds).",
    '',
    mdTable(['rate', 'records', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'kept up', 'lag at step end', 'produced/s'], rows),
    '',
    kneeLine,
    at1000 ? `p99 at 1,000 records/s: **${at1000.latencyMs.p99} ms**.` : '',
    '',
    `Rows read back: ${result.check.rowsScanned} (${result.check.unknownRows} unknown, ${result.check.negativeLatencies} negative latencies clamped). Kept up = ${result.params.keptUpRule}.`,
    '',
    mdMachine(result.machine, command),
  ].join('\n');
}

export function latencyChart(result) {
  const cats = result.steps.map((s) => `${formatNumber(s.rate)}/s${s.keptUp ? '' : '\n(fell behind)'}`);
  return svgDocument(
    [
      barChart({
        title: 'End-to-end latency by rate (ms, log scale)',
        yLabel: 'ms',
        categories: cats,
        series: [
          { name: 'p50', values: result.steps.map((s) => s.latencyMs.p50) },
          { name: 'p99', values: result.steps.map((s) => s.latencyMs.p99) },
          { name: 'p99.9', values: result.steps.map((s) => s.latencyMs.p999) },
        ],
        yLog: true,
        hlines: [{ y: 100, label: '100 ms', color: '#9ca3af' }],
        height: 380,
      }),
      lineChart({
        title: 'Latency by second of produce time (ms, log scale)',
        xLabel: 'seconds since the run started (steps one after the other)',
        yLabel: 'ms',
        series: [
          { name: 'p50', points: (result.timeline ?? []).map((p) => [p.t, p.p50]) },
          { name: 'p99', points: (result.timeline ?? []).map((p) => [p.t, p.p99]) },
          { name: 'max', points: (result.timeline ?? []).map((p) => [p.t, p.max]), color: '#9ca3af' },
        ],
        yLog: true,
        xMin: 0,
        height: 300,
      }),
      lineChart({
        title: 'Consumer-group lag during the run',
        xLabel: 'seconds',
        yLabel: 'records',
        series: [{ name: 'lag', points: result.lagSeries.map((p) => [p.t, p.lag]), color: '#d97706' }],
        xMin: 0,
        height: 260,
      }),
    ],
    { caption: `${result.machine.cpuModel}, ${result.machine.cores} cores; ${result.date}` },
  );
}

async function main() {
  const opts = options();
  const smoke = opts.bool('smoke');
  const config = {
    smoke,
    rates: opts.counts('rates', smoke ? [500, 1000] : [1000, 5000]),
    seconds: opts.number('seconds', smoke ? 5 : 20),
    kneeSeconds: opts.number('knee-seconds', smoke ? 5 : 15),
    maxRate: opts.count('max-rate', 30_000),
    knee: opts.bool('knee', !smoke),
    partitions: opts.count('partitions', 4),
    env: opts.env,
    keep: opts.bool('keep'),
    cpuProfileDir: opts.bool('cpu-prof') ? join(resultsRoot(opts), 'latency', 'profile') : undefined,
  };
  const result = await runLatency(config);
  const command = `node tools/bench/latency.mjs ${process.argv.slice(2).join(' ')}`.trim();
  writeResults('latency', { result, markdown: latencyMarkdown(result, command), svg: latencyChart(result) }, opts);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
