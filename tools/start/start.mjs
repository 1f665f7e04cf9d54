#!/usr/bin/env node
// npm start [-- --mock] [-- --no-orchestrator] [-- --seconds N] [-- --json-logs]
//
// Runs the whole pipeline on this machine: the dev stack (unless external
// Kafka and Cassandra are configured), the three apps, and a first streaming
// run. The apps' logs are shown one readable line per event under each app's
// name, with a live progress line for the active run; `--json-logs` shows the
// apps' raw JSON instead. Ctrl-C stops everything it started, in order, within
// about 10 s, and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, stackConfig, stackDown, stackStatus, stackUp } from '../stack/stack-lib.mjs';
import { formatLogLine, levelNumber, lineSplitter } from './log-format.mjs';
import { createProgress } from './progress.mjs';
import { createScreen } from './screen.mjs';
import { appNodeOptions } from '../testing/app-process.mjs';

const USAGE = `Usage: npm start [-- options]

Starts Kafka and Cassandra (unless KAFKA_BROKERS and CASSANDRA_CONTACT_POINTS
point at your own), builds and starts ingest, stream-processor and
orchestrator, and streams users for a first run. Ctrl-C stops everything.

Options:
  --mock              serve the randomuser.me API from the local mock (offline)
  --seconds N         length of the first run (default 60)
  --no-orchestrator   only the data path (ingest and stream-processor)
  --json-logs         the apps' raw JSON logs instead of readable lines
  -h, --help          this text
`;

let options;
try {
  ({ values: options } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      mock: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      'no-orchestrator': { type: 'boolean', default: false },
      'json-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  process.stderr.write(`npm start: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const useMock = options.mock || process.env.USERSTREAM_MOCK_API === '1';
const withOrchestrator = !options['no-orchestrator'];
const jsonLogs = options['json-logs'];
const runSeconds = Number(options.seconds ?? process.env.START_RUN_SECONDS ?? '60');
if (!Number.isInteger(runSeconds) || runSeconds < 1) {
  process.stderr.write(`npm start: --seconds must be a whole number of seconds, 1 or more (got ${JSON.stringify(options.seconds)})\n`);
  process.exit(2);
}
const external = Boolean(process.env.KAFKA_BROKERS && process.env.CASSANDRA_CONTACT_POINTS);
/** Bound on stopping everything after Ctrl-C: the apps get SIGTERM, and SIGKILL after this. */
const STOP_KILL_AFTER_MS = 8000;

const APPS = [
  { name: 'ingest', port: Number(process.env.INGEST_PORT ?? 3001) },
  { name: 'stream-processor', port: Number(process.env.PROCESSOR_PORT ?? 3002) },
  ...(withOrchestrator ? [{ name: 'orchestrator', port: Number(process.env.ORCHESTRATOR_PORT ?? 3000) }] : []),
];
const url = (app) => `http://127.0.0.1:${app.port}`;

const screen = createScreen(process.stdout, { live: process.stdout.isTTY === true && !jsonLogs });
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const minLevel = levelNumber(process.env.LOG_LEVEL);
const bold = (text) => (color ? `\x1b[1m${text}\x1b[0m` : text);
const say = (msg) => screen.line(`${bold('[userstream]')} ${msg}`);

const children = [];
let stackStarted = [];
let mock;
let progress;
let stopping = false;

function build() {
  say('Building the apps and libraries (nx run-many -t build)...');
  const startedAt = Date.now();
  const result = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--projects=tag:type:app', '--outputStyle=static'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error('the build failed; see the output above');
  }
  say(`Built in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
}

function startApp(app, env) {
  const entry = path.join(REPO_ROOT, 'apps', app.name, 'dist', 'main.js');
  const child = spawn(process.execPath, [entry], {
    env: {
      SHUTDOWN_TIMEOUT_MS: String(STOP_KILL_AFTER_MS - 1000),
      ...process.env,
      ...env,
      PORT: String(app.port),
      LOG_PRETTY: 'false',
      // The app's own node flags (the stream-processor's heap bound), as in its image; a NODE_OPTIONS you set wins.
      NODE_OPTIONS: appNodeOptions(path.join(REPO_ROOT, 'apps', app.name)),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches npm start only, which stops the apps in order.
    detached: true,
  });
  const width = Math.max(...APPS.map((a) => a.name.length));
  const show = (line) => {
    if (jsonLogs) return screen.line(line);
    const text = formatLogLine(app.name, line, { color, minLevel, width });
    if (text !== null) screen.line(text);
  };
  for (const stream of [child.stdout, child.stderr]) {
    const lines = lineSplitter(show);
    stream.on('data', (chunk) => lines.push(chunk));
    stream.on('end', () => lines.end());
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${app.name} exited unexpectedly (code ${code}, signal ${signal}); stopping everything.`);
      shutdown(1);
    }
  });
  children.push({ app, child });
}

async function waitReady(app, headers, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const res = await fetch(`${url(app)}/health/ready`, { headers, signal: AbortSignal.timeout(3000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${app.name} did not become ready on port ${app.port} within ${timeoutMs / 1000} s`);
}

/** SIGTERM, then SIGKILL at the bound; resolves with what happened. */
function stopChild({ app, child }) {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    if (child.exitCode !== null || child.signalCode !== null) return resolve(`${app.name} had already exited`);
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_KILL_AFTER_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      const took = `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
      resolve(signal === 'SIGKILL' ? `${app.name} killed after ${took} (it did not stop in time)` : `${app.name} stopped (exit ${code}, ${took})`);
    });
    child.kill('SIGTERM');
  });
}

async function shutdown(code) {
  if (stopping) {
    // A second Ctrl-C: no more waiting.
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return;
  }
  stopping = true;
  const startedAt = Date.now();
  progress?.stop();
  screen.clearStatus();
  const running = children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  say(
    `Stopping ${
      [...running]
        .reverse()
        .map(({ app }) => app.name)
        .join(', ') || 'nothing that is running'
    }${stackStarted.length ? ` and the dev stack (${stackStarted.join(', ')})` : ''}...`,
  );
  for (const message of await Promise.all([...children].reverse().map(stopChild))) say(message);
  if (mock) await mock.close();
  if (stackStarted.length > 0) await stackDown({ servers: stackStarted, log: say });
  say(`Stopped everything npm start started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
  process.exit(code);
}

// Should npm start itself die, the apps (in their own process groups) must not outlive it.
process.on('exit', () => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function main() {
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));

  /** @type {Record<string, string>} */
  let env = {};
  if (external) {
    say(`Using external Kafka (${process.env.KAFKA_BROKERS}) and Cassandra (${process.env.CASSANDRA_CONTACT_POINTS}).`);
  } else {
    const status = await stackStatus();
    if (!status.ready) stackStarted = (await stackUp({ log: say })).started;
    else say('Kafka and Cassandra are already running (npm run stack:status).');
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
  // The apps authenticate each other and scrapers with these; generated per npm start unless given.
  const serviceToken = process.env.SERVICE_TOKEN ?? randomBytes(24).toString('base64url');
  const metricsToken = process.env.METRICS_TOKEN ?? randomBytes(24).toString('base64url');
  env = {
    ...env,
    ORCHESTRATOR_USER: user,
    ORCHESTRATOR_PASSWORD: password,
    SERVICE_TOKEN: serviceToken,
    METRICS_TOKEN: metricsToken,
    ORCHESTRATOR_INGEST_URL: url(APPS[0]),
    ORCHESTRATOR_PROCESSOR_URL: url(APPS[1]),
  };

  build();
  say(`Starting ${APPS.map((app) => `${app.name} (:${app.port})`).join(', ')}...`);
  for (const app of APPS) startApp(app, env);
  await Promise.all(APPS.map((app) => waitReady(app, { authorization: `Bearer ${metricsToken}` })));
  if (stopping) return;
  say('All apps are ready.');

  const access = {
    orchestrator: withOrchestrator
      ? { url: url(APPS[2]), headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } }
      : undefined,
    ingest: { url: url(APPS[0]), headers: { authorization: `Bearer ${serviceToken}` } },
    processor: { url: url(APPS[1]), headers: { authorization: `Bearer ${metricsToken}` } },
  };
  const run = await startFirstRun(access);
  progress = createProgress({ screen, access, job: 'user_data_kafka_stream', ingestRunId: run.ingestRunId, say });
  progress.start();
  banner({ user, password, run });
}

function banner({ user, password, run }) {
  const lines = [
    bold('userstream is running'),
    '',
    ...(withOrchestrator
      ? [`  Dashboard: ${url(APPS[2])}/`, `  Login:     ${user} / ${process.env.ORCHESTRATOR_PASSWORD ? '<your ORCHESTRATOR_PASSWORD>' : password}`]
      : [`  ingest:    ${url(APPS[0])}/runs`]),
    `  Streaming: ${run.description}`,
    `  Apps:      ${APPS.map((app) => `${app.name} ${url(app)}`).join(', ')}`,
    ...(useMock ? [`  API:       the local randomuser.me mock (${mock.url})`] : []),
    '',
    'Press Ctrl-C to stop.',
  ];
  const rule = '─'.repeat(72);
  screen.line(rule);
  for (const line of lines) screen.line(line);
  screen.line(rule);
}

/**
 * The first streaming run. With the orchestrator it is a trigger of the
 * reference job, so it is recorded, retried and shown on the dashboard like a
 * scheduled one; without it, an ingest run started directly.
 */
async function startFirstRun(access) {
  const params = { durationSeconds: runSeconds };
  if (access.orchestrator) {
    const res = await fetch(`${access.orchestrator.url}/api/jobs/user_data_kafka_stream/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: access.orchestrator.url, ...access.orchestrator.headers },
      body: JSON.stringify({ params }),
    });
    const run = /** @type {{ id: string, message?: string }} */ (await res.json());
    if (!res.ok) throw new Error(`triggering the first run failed: ${run.message ?? res.status}`);
    say(`Streaming users for ${runSeconds} s (orchestrator run ${run.id} of job user_data_kafka_stream; the dashboard follows it).`);
    return { description: `users for ${runSeconds} s (orchestrator run ${run.id.slice(0, 8)})` };
  }
  const res = await fetch(`${access.ingest.url}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...access.ingest.headers },
    body: JSON.stringify(params),
  });
  const run = /** @type {{ id: string, message?: string }} */ (await res.json());
  if (!res.ok) throw new Error(`starting the first run failed: ${run.message ?? res.status}`);
  say(`Streaming users for ${runSeconds} s (ingest run ${run.id}).`);
  return { ingestRunId: run.id, description: `users for ${runSeconds} s (ingest run ${run.id.slice(0, 8)})` };
}

main().catch(async (error) => {
  screen.clearStatus();
  process.stderr.write(`\nnpm start failed: ${error.message}\n`);
  await shutdown(1);
});
