// The built apps as child processes, and their Prometheus metrics.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { appDirOf, appNodeOptions, freePort } from '@userstream/tools/testing';
import { appBaseEnv, opsHeaders, requireBuilt } from './env.mjs';
import { finishesWithin } from '@userstream/tools/testing/async';

/**
 * Starts a built app (`stream-processor`, `ingest`, `orchestrator`) with the
 * servers' environment plus `env`, and waits until it answers
 * `/health/live`. `cpuProfileDir` runs it under `node --cpu-prof` (the
 * profile is written when it exits; Node refuses that flag in NODE_OPTIONS,
 * hence our own spawn instead of tools/testing's startAppProcess).
 */
/**
 * @param {string} app
 * @param {{ env?: Record<string, string>, cpuProfileDir?: string, timeoutMs?: number }} [options]
 */
export async function startApp(app, { env = {}, cpuProfileDir, timeoutMs = 60_000 } = {}) {
  const entry = requireBuilt(app);
  const nodeArgs = [];
  if (cpuProfileDir) {
    mkdirSync(cpuProfileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnApp(entry, nodeArgs, { ...appBaseEnv(), ...env }, timeoutMs);
    } catch (error) {
      // In a shared workspace a library may be rebuilding (its dist/ briefly gone): wait and try again.
      if (attempt >= 4 || !/Cannot find module|MODULE_NOT_FOUND/.test(String(error?.message))) throw error;
      console.log(`${app}: a module was missing at start (a build in progress?); retrying in 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  }
}

async function spawnApp(entry, nodeArgs, env, timeoutMs) {
  const port = await freePort();
  const started = performance.now();
  // Keep the last lines only: a long benchmark must not hoard the app's output.
  const output = [];
  const keep = (d) => {
    output.push(d.toString());
    if (output.length > 400) output.splice(0, output.length - 300);
  };
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    // The app's own node flags (its heap bound) as in its image, unless the benchmark sets NODE_OPTIONS itself.
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_OPTIONS: appNodeOptions(appDirOf(entry), env.NODE_OPTIONS ?? process.env.NODE_OPTIONS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited with code ${child.exitCode} before answering:\n${output.join('')}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`app did not answer ${url}/health/live within ${timeoutMs} ms:\n${output.join('').slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    pid: child.pid,
    child,
    exited,
    liveAfterMs: performance.now() - started,
    output: () => output.join(''),
    /** @param {NodeJS.Signals} [signal] */
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Stops an app with SIGTERM and fails when it does not exit cleanly within `timeoutMs`. */
export async function stopApp(proc, { timeoutMs = 60_000 } = {}) {
  if (!proc) return undefined;
  const stopped = proc.stop('SIGTERM');
  if (!(await finishesWithin(stopped, timeoutMs))) {
    await proc.stop('SIGKILL');
    throw new Error(`app did not stop within ${timeoutMs} ms; killed. Last output:\n${proc.output().slice(-3000)}`);
  }
  return stopped;
}

/** GET /metrics, parsed: `{ name: [{ labels, value }] }`. */
export async function scrapeMetrics(url) {
  const res = await fetch(`${url}/metrics`, { headers: opsHeaders() });
  if (!res.ok) throw new Error(`GET ${url}/metrics: HTTP ${res.status}`);
  return parsePrometheus(await res.text());
}

export function parsePrometheus(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      for (const pair of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    }
    (out[m[1]] ??= []).push({ labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of a metric over all its label sets (0 when absent). */
export function metricSum(metrics, name) {
  return (metrics[name] ?? []).reduce((sum, s) => sum + s.value, 0);
}

/** Cumulative histogram buckets `[{ le, count }]` of a metric (label-less histogram). */
export function histogramBuckets(metrics, name) {
  return (metrics[`${name}_bucket`] ?? [])
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
}

/** Quantile estimate (upper bucket bound) from the difference of two cumulative bucket lists. */
export function bucketQuantile(before, after, q) {
  const diff = after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
  const total = diff[diff.length - 1]?.count ?? 0;
  if (total === 0) return undefined;
  const target = q * total;
  return diff.find((b) => b.count >= target)?.le;
}

/** Polls `url/health/ready` until it answers 200 or `timeoutMs` passes; returns ms waited. */
export async function waitReady(proc, { timeoutMs = 120_000, intervalMs = 100 } = {}) {
  const started = performance.now();
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`app exited (code ${proc.child.exitCode}) before it was ready:\n${proc.output().slice(-3000)}`);
    try {
      const res = await fetch(`${proc.url}/health/ready`, { headers: opsHeaders() });
      if (res.ok) return performance.now() - started;
    } catch {
      // not answering yet
    }
    if (performance.now() - started > timeoutMs) throw new Error(`app not ready after ${timeoutMs} ms:\n${proc.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
