#!/usr/bin/env node
// Throughput of the randomuser.me mock, in users per second:
//  - generator: JSON bodies built in-process (the server's hot path) and
//    user objects (generatePage, what tests use);
//  - http: pages of 5000 fetched serially over one keep-alive connection from
//    a server in a child process, so client and server each have a core.
// Prints a table and writes bench-results/mock-api.json at the repo root.
//
//   node tools/mock-api/bench.mjs            # BENCH_PAGES=40 pages of 5000 per run
//
// Each figure is the median of BENCH_RUNS runs (default 3). "per CPU-second"
// divides by the CPU time the generating process used, which stays meaningful
// on a busy machine where wall-clock rates drop.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { generatePage, normalizeParams, renderPageBuffers } from './generator.mjs';
import { startMockApi } from './mock-api.mjs';

const PAGE_SIZE = 5000;

if (process.argv[2] === '--serve') {
  // Child: serve, report CPU time on request.
  const api = await startMockApi({ port: 0 });
  // Started with an IPC channel (fork), so process.send exists.
  const send = /** @type {NonNullable<typeof process.send>} */ (process.send);
  send.call(process, { url: api.url });
  process.on('message', (msg) => {
    if (msg === 'cpu') send.call(process, { cpu: process.cpuUsage() });
    if (msg === 'stop') void api.close().then(() => process.disconnect());
  });
} else {
  await main();
}

function cpuSeconds(usage) {
  return (usage.user + usage.system) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(pages, fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (let page = 1; page <= pages; page++) bytes += fn(page);
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSeconds(process.cpuUsage(cpu0));
  const users = pages * PAGE_SIZE;
  return { users, bytes, wallS, usersPerSecond: users / wallS, usersPerCpuSecond: users / cpuS };
}

function get(agent, url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function ask(child, message, key) {
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg && msg[key] !== undefined) {
        child.off('message', onMessage);
        resolve(msg[key]);
      }
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

async function httpRun(pages, seed) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const baseUrl = await new Promise((resolve) => child.once('message', (m) => resolve(/** @type {{ url: string }} */ (m).url)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let page = 1; page <= 3; page++) await get(agent, `${baseUrl}?results=${PAGE_SIZE}&seed=warmup&page=${page}`);
    const cpu0 = await ask(child, 'cpu', 'cpu');
    const t0 = performance.now();
    let bytes = 0;
    for (let page = 1; page <= pages; page++) bytes += await get(agent, `${baseUrl}?results=${PAGE_SIZE}&seed=${seed}&page=${page}`);
    const wallS = (performance.now() - t0) / 1000;
    const cpu1 = await ask(child, 'cpu', 'cpu');
    const users = pages * PAGE_SIZE;
    return {
      users,
      bytes,
      wallS,
      usersPerSecond: users / wallS,
      serverUsersPerCpuSecond: users / (cpuSeconds(cpu1) - cpuSeconds(cpu0)),
      megabytesPerSecond: bytes / 1e6 / wallS,
    };
  } finally {
    agent.destroy();
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function main() {
  const pages = Number(process.env.BENCH_PAGES ?? 40);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  // Warm the JIT before timing anything.
  measure(3, (page) => renderPageBuffers(normalizeParams({ seed: 'warmup', results: PAGE_SIZE, page })).reduce((n, b) => n + b.length, 0));

  const pick = (results) => ({
    usersPerSecond: Math.round(median(results.map((r) => r.usersPerSecond))),
    ...(results[0].usersPerCpuSecond !== undefined ? { usersPerCpuSecond: Math.round(median(results.map((r) => r.usersPerCpuSecond))) } : {}),
    ...(results[0].serverUsersPerCpuSecond !== undefined ? { serverUsersPerCpuSecond: Math.round(median(results.map((r) => r.serverUsersPerCpuSecond))) } : {}),
    ...(results[0].megabytesPerSecond !== undefined ? { megabytesPerSecond: Number(median(results.map((r) => r.megabytesPerSecond)).toFixed(1)) } : {}),
    ...(results[0].bytes > 0 ? { bytesPerUser: Math.round(results[0].bytes / results[0].users) } : {}),
    runs: results.map((r) => Math.round(r.usersPerSecond)),
  });

  const json = [];
  const objects = [];
  const overHttp = [];
  for (let run = 0; run < runs; run++) {
    json.push(measure(pages, (page) => renderPageBuffers(normalizeParams({ seed: `json${run}`, results: PAGE_SIZE, page })).reduce((n, b) => n + b.length, 0)));
    objects.push(
      measure(pages, (page) => {
        generatePage({ seed: `obj${run}`, results: PAGE_SIZE, page });
        return 0;
      }),
    );
    overHttp.push(await httpRun(pages, `http${run}`));
  }

  const result = {
    benchmark: 'mock-api',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    pageSize: PAGE_SIZE,
    pagesPerRun: pages,
    runs,
    generatorJson: pick(json),
    generatorObjects: pick(objects),
    httpSerialKeepAlive: pick(overHttp),
  };
  const outDir = fileURLToPath(new URL('../../bench-results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}mock-api.json`, `${JSON.stringify(result, null, 2)}\n`);

  const row = (name, r) =>
    `${name.padEnd(34)} ${String(r.usersPerSecond).padStart(9)} users/s${r.usersPerCpuSecond ? `  ${r.usersPerCpuSecond} users/CPU-s` : ''}${
      r.serverUsersPerCpuSecond ? `  server ${r.serverUsersPerCpuSecond} users/CPU-s, ${r.megabytesPerSecond} MB/s` : ''
    }  (runs: ${r.runs.join(', ')})`;
  console.log(`mock-api throughput, ${pages} pages x ${PAGE_SIZE} users per run, median of ${runs}; load average ${result.loadAverage.join(' ')}`);
  console.log(row('generator, JSON body (server path)', result.generatorJson));
  console.log(row('generator, objects (generatePage)', result.generatorObjects));
  console.log(row('HTTP, serial, keep-alive', result.httpSerialKeepAlive));
  console.log(`wrote ${outDir}mock-api.json`);
}
