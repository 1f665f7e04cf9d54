#!/usr/bin/env node
// Ingest: records/s from the randomuser mock API through the built ingest
// app into Kafka (acks=all, Avro single-object), next to what the mock alone
// serves: its generator in-process (user objects) and its HTTP server fetched serially in
// pages of 5,000 (like tools/mock-api/bench.mjs). The mock runs in its own
// process so its CPU is measured apart from ingest's.
//
//   node tools/bench/ingest.mjs [--records 1000000] [--smoke] [--page-size 1000]
//        [--mock-pages 40] [--env INGEST_FETCH_CONCURRENCY=4 ...]
//
// Writes bench-results/ingest/.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startApp, stopApp, waitReady } from './lib/apps.mjs';
import { options } from './lib/args.mjs';
import { authHeaders, ensureStack, machineInfo, requireBuiltLibs, runSuffix } from './lib/env.mjs';
import { deleteTopics, kafkaClient, topicSize } from './lib/kafka.mjs';
import { mdMachine, mdTable, readResult, round, runMain, writeResults } from './lib/output.mjs';
import { ProcessSampler, readProcess } from './lib/proc.mjs';
import { barChart, lineChart, svgDocument } from './lib/svg.mjs';
import { generatePage } from '@userstream/tools/mock-api';
import { freePort } from '@userstream/tools/testing';
import { sleep } from '@userstream/tools/testing/async';

const MOCK_MAIN = fileURLToPath(new URL('../mock-api/main.mjs', import.meta.url));

/** Starts the mock API in a child process; resolves with `{ url, pid, stop }`. */
async function startMock() {
  const port = await freePort();
  const child = spawn(process.execPath, [MOCK_MAIN], {
    env: { ...process.env, MOCK_API_PORT: String(port), MOCK_API_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 15_000;
  while (!/listening on/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mock API did not start:\n${output}`);
    }
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}/api/`,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function getBytes(agent, url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode} from ${url}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The mock on its own: its generator in-process (generatePage, user objects), and serial HTTP pages from the child server. */
async function measureMock(mock, { pages, pageSize }) {
  generatePage({ seed: 'warm', results: pageSize, page: 1 });
  let t = performance.now();
  const cpu0 = process.cpuUsage();
  for (let page = 1; page <= pages; page++) generatePage({ seed: 'bench-gen', results: pageSize, page });
  let seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const generator = {
    users: pages * pageSize,
    seconds: round(seconds),
    usersPerSecond: Math.round((pages * pageSize) / seconds),
    usersPerCpuSecond: Math.round((pages * pageSize) / ((cpu.user + cpu.system) / 1e6)),
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await getBytes(agent, `${mock.url}?results=${pageSize}&seed=warm&page=1`);
    const serverCpu0 = readProcess(mock.pid)?.cpuS ?? 0;
    t = performance.now();
    let bytes = 0;
    for (let page = 1; page <= pages; page++) bytes += await getBytes(agent, `${mock.url}?results=${pageSize}&seed=bench-http&page=${page}`);
    seconds = (performance.now() - t) / 1000;
    const serverCpu = (readProcess(mock.pid)?.cpuS ?? 0) - serverCpu0;
    return {
      generator,
      http: {
        users: pages * pageSize,
        seconds: round(seconds),
        usersPerSecond: Math.round((pages * pageSize) / seconds),
        megabytesPerSecond: round(bytes / 1e6 / seconds),
        serverUsersPerCpuSecond: serverCpu > 0 ? Math.round((pages * pageSize) / serverCpu) : undefined,
      },
    };
  } finally {
    agent.destroy();
  }
}

export async function runIngest(config) {
  const log = config.log ?? console.log;
  requireBuiltLibs();
  const stack = await ensureStack({ log });
  const machine = machineInfo(stack);
  const suffix = runSuffix();
  const topic = `bench_ingest_${suffix}`;
  const client = kafkaClient();
  const admin = client.admin();
  const mock = await startMock();
  let app;
  let result;
  try {
    log(`mock API at ${mock.url}; measuring the mock alone (${config.mockPages} pages of ${config.pageSize}) ...`);
    const mockAlone = await measureMock(mock, { pages: config.mockPages, pageSize: config.pageSize });
    log(`  generator ${mockAlone.generator.usersPerSecond} users/s, HTTP ${mockAlone.http.usersPerSecond} users/s`);

    app = await startApp('ingest', {
      env: { RANDOMUSER_BASE_URL: mock.url, KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: String(config.partitions), INGEST_ENCODING: 'avro', ...config.env },
    });
    await waitReady(app, { timeoutMs: 60_000 }).catch(() => undefined);
    const idle = readProcess(app.pid);
    const sampler = new ProcessSampler({ ingest: app.pid, mock: mock.pid, kafka: stack.kafkaPid, bench: process.pid }, { intervalMs: 1000 });
    const seed = `bench-ingest-${suffix}`;
    log(`ingest run: ${config.records} records, pages of ${config.pageSize}, into ${topic} ...`);
    const started = performance.now();
    const res = await fetch(`${app.url}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders() },
      body: JSON.stringify({ records: config.records, seed, pageSize: config.pageSize, encoding: 'avro' }),
    });
    /**
     * The parts of ingest's run view read here.
     * @typedef {{ id?: string, state?: string, counts: Record<string, number>, startedAt?: string, endedAt?: string, error?: string, errors?: unknown[] }} IngestRunView
     */
    const body = /** @type {IngestRunView} */ (await res.json().catch(() => ({})));
    if (res.status !== 202 && res.status !== 201 && res.status !== 200) throw new Error(`POST /runs: HTTP ${res.status} ${JSON.stringify(body)}`);
    const id = body.id;
    if (!id) throw new Error(`POST /runs answered without a run id: ${JSON.stringify(body)}`);
    const series = [];
    let status = body;
    let lastAcked = 0;
    let lastT = 0;
    let lastChangeAt = performance.now();
    for (;;) {
      await sleep(250);
      const r = await fetch(`${app.url}/runs/${encodeURIComponent(id)}`, { headers: authHeaders() });
      if (!r.ok) throw new Error(`GET /runs/${id}: HTTP ${r.status}`);
      status = /** @type {IngestRunView} */ (await r.json());
      const t = (performance.now() - started) / 1000;
      const acked = status.counts?.acknowledged ?? 0;
      if (acked !== lastAcked) lastChangeAt = performance.now();
      if (t - lastT >= 0.9 || status.state !== 'running') {
        series.push({ t: round(t), acknowledged: acked, rate: Math.round((acked - lastAcked) / Math.max(0.001, t - lastT)) });
        lastAcked = acked;
        lastT = t;
      }
      if (status.state !== 'running') break;
      if (performance.now() - lastChangeAt > 120_000) throw new Error(`run ${id} made no progress for 120 s: ${JSON.stringify(status)}`);
    }
    const wallS = (performance.now() - started) / 1000;
    const resources = sampler.stop();
    const final = readProcess(app.pid);
    if (status.state !== 'succeeded') throw new Error(`run ${id} ended ${status.state}: ${status.error ?? JSON.stringify(status.errors)}`);
    const inTopic = await topicSize(admin, topic);
    const acked = status.counts.acknowledged;
    const runS = status.endedAt && status.startedAt ? (Date.parse(status.endedAt) - Date.parse(status.startedAt)) / 1000 : wallS;
    const ingestCpuS = final && idle ? final.cpuS - idle.cpuS : undefined;
    result = {
      benchmark: 'ingest',
      date: new Date().toISOString(),
      machine,
      params: {
        records: config.records,
        pageSize: config.pageSize,
        partitions: config.partitions,
        encoding: 'avro',
        ingestEnv: config.env,
        mockPages: config.mockPages,
      },
      mockAlone,
      run: {
        id,
        state: status.state,
        counts: status.counts,
        runSeconds: round(runS),
        wallSeconds: round(wallS),
        recordsPerSecond: Math.round(acked / runS),
        wallRecordsPerSecond: Math.round(acked / wallS),
        recordsInTopic: inTopic,
        matches: inTopic === acked && acked === config.records,
      },
      resources: {
        ...resources,
        ingest: {
          idleRssMb: idle ? Math.round(idle.rssMb) : undefined,
          peakRssMb: final ? Math.round(final.hwmMb) : undefined,
          cpuS: round(final?.cpuS),
          workCpuS: round(ingestCpuS),
          workCpuSPer1kRecords: ingestCpuS !== undefined ? round((ingestCpuS / acked) * 1000) : undefined,
          cpuSPer1kRecords: final ? round((final.cpuS / acked) * 1000) : undefined,
        },
        mock: { cpuSPer1kRecords: resources.processes.mock ? round((resources.processes.mock.cpuS / acked) * 1000) : undefined },
      },
      series,
    };
  } finally {
    if (app) await stopApp(app).catch((e) => log(`stopping ingest: ${e.message}`));
    await mock.stop();
    if (!config.keep) await deleteTopics(client, [topic]).catch(() => undefined);
    await admin.close();
  }
  return result;
}

export function ingestMarkdown(result, { drain, command }) {
  const r = result.run;
  const p = result.resources.processes;
  const rows = [
    [
      'mock generator in-process (generatePage objects)',
      `${result.mockAlone.generator.usersPerSecond.toLocaleString('en-US')} users/s`,
      `${result.mockAlone.generator.usersPerCpuSecond.toLocaleString('en-US')} users per CPU-s`,
    ],
    [
      'mock HTTP, serial pages, keep-alive',
      `${result.mockAlone.http.usersPerSecond.toLocaleString('en-US')} users/s`,
      `${result.mockAlone.http.megabytesPerSecond} MB/s; server ${result.mockAlone.http.serverUsersPerCpuSecond?.toLocaleString('en-US') ?? '–'} users per CPU-s`,
    ],
    [
      '**ingest app: mock → Kafka (acks=all)**',
      `**${r.recordsPerSecond.toLocaleString('en-US')} records/s**`,
      `${r.counts.acknowledged.toLocaleString('en-US')} acknowledged in ${r.runSeconds} s; topic holds ${r.recordsInTopic.toLocaleString('en-US')} (${r.matches ? 'matches' : '**does not match**'})`,
    ],
  ];
  if (drain?.load)
    rows.push([
      'kafka lib producer alone (drain preload)',
      `${drain.load.recordsPerSecond.toLocaleString('en-US')} records/s`,
      'pre-encoded records, same topic layout',
    ]);
  return [
    '# Ingest benchmark',
    '',
    `The built ingest app fetches pages of ${result.params.pageSize} users from the randomuser mock (own process), maps and Avro-encodes them, and produces them to a fresh ${result.params.partitions}-partition topic.`,
    '',
    mdTable(['path', 'rate', 'notes'], rows),
    '',
    `CPU during the run (cores): ingest ${p.ingest?.cores ?? '–'}, mock ${p.mock?.cores ?? '–'}, Kafka ${p.kafka?.cores ?? '–'}, whole machine ${result.resources.machineBusyCores}. Ingest: ${result.resources.ingest.workCpuSPer1kRecords} CPU-s per 1,000 records (run only), peak RSS ${result.resources.ingest.peakRssMb} MiB (idle ${result.resources.ingest.idleRssMb} MiB).`,
    '',
    mdMachine(result.machine, command),
  ].join('\n');
}

export function ingestChart(result, drain) {
  const categories = ['mock generator\n(in-process)', 'mock HTTP\n(serial pages)', 'ingest app\nmock → Kafka'];
  const values = [result.mockAlone.generator.usersPerSecond, result.mockAlone.http.usersPerSecond, result.run.recordsPerSecond];
  const colors = ['#9ca3af', '#6b7280', '#2563eb'];
  if (drain?.load) {
    categories.push('kafka producer alone\n(pre-encoded)');
    values.push(drain.load.recordsPerSecond);
    colors.push('#16a34a');
  }
  return svgDocument(
    [
      barChart({
        title: 'Ingest throughput next to the mock API (users or records per second)',
        yLabel: 'per second',
        categories,
        series: [{ name: 'rate', values, colors }],
        height: 360,
      }),
      lineChart({
        title: 'Ingest run: records acknowledged by Kafka per second',
        xLabel: 'seconds since POST /runs',
        yLabel: 'records/s',
        series: [{ name: 'records/s', points: result.series.slice(1).map((s) => [s.t, s.rate]) }],
        xMin: 0,
        height: 280,
      }),
    ],
    { caption: `${result.machine.cpuModel}, ${result.machine.cores} cores; ${result.date}` },
  );
}

async function main() {
  const opts = options();
  const smoke = opts.bool('smoke');
  const config = {
    records: opts.count('records', smoke ? 50_000 : 1_000_000),
    pageSize: opts.count('page-size', 1000),
    partitions: opts.count('partitions', 4),
    mockPages: opts.count('mock-pages', smoke ? 5 : 40),
    env: opts.env,
    keep: opts.bool('keep'),
  };
  const result = await runIngest(config);
  const drain = readResult('drain', opts);
  const command = `node tools/bench/ingest.mjs ${process.argv.slice(2).join(' ')}`.trim();
  writeResults('ingest', { result, markdown: ingestMarkdown(result, { drain, command }), svg: ingestChart(result, drain) }, opts);
  if (!result.run.matches)
    throw new Error(`topic holds ${result.run.recordsInTopic} records, run acknowledged ${result.run.counts.acknowledged}, asked ${result.params.records}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runMain(main);
