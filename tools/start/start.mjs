#!/usr/bin/env node
// npm start [-- --mock] [-- --no-orchestrator] [-- --seconds N]
//
// Runs the whole pipeline on this machine: the dev stack (unless external
// Kafka and Cassandra are configured), the three apps, and a first streaming
// run. Ctrl-C stops everything it started, in order, and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT, stackConfig, stackDown, stackStatus, stackUp } from '../stack/stack-lib.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};

const useMock = flag('mock') || process.env.USERSTREAM_MOCK_API === '1';
const withOrchestrator = !flag('no-orchestrator');
const runSeconds = Number(option('seconds', process.env.START_RUN_SECONDS ?? '60'));
const external = Boolean(process.env.KAFKA_BROKERS && process.env.CASSANDRA_CONTACT_POINTS);

const APPS = [
  { name: 'ingest', port: Number(process.env.INGEST_PORT ?? 3001) },
  { name: 'stream-processor', port: Number(process.env.PROCESSOR_PORT ?? 3002) },
  ...(withOrchestrator ? [{ name: 'orchestrator', port: Number(process.env.ORCHESTRATOR_PORT ?? 3000) }] : []),
];

const children = [];
let stackStarted = [];
let mock;
let stopping = false;

const say = (msg) => console.log(`\x1b[1m[userstream]\x1b[0m ${msg}`);

function build() {
  say('Building the apps and libraries (nx run-many -t build)...');
  const result = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--projects=tag:type:app', '--outputStyle=static'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error('the build failed; see the output above');
}

function startApp(app, env) {
  const entry = path.join(REPO_ROOT, 'apps', app.name, 'dist', 'main.js');
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, ...env, PORT: String(app.port), LOG_PRETTY: process.stdout.isTTY ? 'true' : 'false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${app.name} exited unexpectedly (code ${code}, signal ${signal}); stopping everything.`);
      shutdown(1);
    }
  });
  children.push({ app, child });
}

async function waitReady(app, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${app.port}/health/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${app.name} did not become ready on port ${app.port} within ${timeoutMs / 1000} s`);
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('Stopping...');
  await Promise.all(
    children.reverse().map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
        }),
    ),
  );
  if (mock) await mock.close();
  if (stackStarted.length > 0) await stackDown({ servers: stackStarted, log: say });
  say('Stopped.');
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));

  let env = {};
  if (external) {
    say(`Using external Kafka (${process.env.KAFKA_BROKERS}) and Cassandra (${process.env.CASSANDRA_CONTACT_POINTS}).`);
  } else {
    const status = await stackStatus();
    if (!status.ready) stackStarted = (await stackUp({ log: say })).started;
    env = { ...stackConfig().env };
  }
  if (useMock) {
    const { startMockApi } = await import('../mock-api/mock-api.mjs');
    mock = await startMockApi({ port: Number(process.env.MOCK_API_PORT ?? 3100) });
    env.RANDOMUSER_BASE_URL = mock.url;
    say(`Mock randomuser.me API at ${mock.url}`);
  }
  const user = process.env.ORCHESTRATOR_USER ?? 'admin';
  const password = process.env.ORCHESTRATOR_PASSWORD ?? randomBytes(12).toString('base64url');
  env = {
    ...env,
    ORCHESTRATOR_USER: user,
    ORCHESTRATOR_PASSWORD: password,
    ORCHESTRATOR_INGEST_URL: `http://127.0.0.1:${APPS[0].port}`,
    ORCHESTRATOR_PROCESSOR_URL: `http://127.0.0.1:${APPS[1].port}`,
  };

  build();
  for (const app of APPS) startApp(app, env);
  await Promise.all(APPS.map((app) => waitReady(app)));
  say('All apps are ready.');

  await startFirstRun({ user, password });
  if (withOrchestrator) {
    say(`Dashboard: http://127.0.0.1:${APPS[2].port}/  (user ${user}, password ${process.env.ORCHESTRATOR_PASSWORD ? '<from ORCHESTRATOR_PASSWORD>' : password})`);
  }
  say('Press Ctrl-C to stop.');
}

/**
 * The first streaming run. With the orchestrator it is a trigger of the
 * reference job, so it is recorded, retried and shown on the dashboard like a
 * scheduled one; without it, an ingest run started directly.
 */
async function startFirstRun({ user, password }) {
  const params = { durationSeconds: runSeconds };
  if (withOrchestrator) {
    const res = await fetch(`http://127.0.0.1:${APPS[2].port}/api/jobs/user_data_kafka_stream/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      body: JSON.stringify({ params }),
    });
    const run = await res.json();
    if (!res.ok) throw new Error(`triggering the first run failed: ${run.message ?? res.status}`);
    say(`Streaming users for ${runSeconds} s (orchestrator run ${run.id} of job user_data_kafka_stream; the dashboard follows it).`);
    return;
  }
  const res = await fetch(`http://127.0.0.1:${APPS[0].port}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const run = await res.json();
  if (!res.ok) throw new Error(`starting the first run failed: ${run.message ?? res.status}`);
  say(`Streaming users for ${runSeconds} s (ingest run ${run.id}).`);
}

main().catch(async (error) => {
  console.error(`\nnpm start failed: ${error.message}`);
  await shutdown(1);
});
