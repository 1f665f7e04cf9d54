// The dev stack: a real Kafka and a real Cassandra, run from Maven Central
// jars as plain JVM processes on 127.0.0.1, with their state in .stack/.
//
// Used by tools/stack/stack.mjs (npm run stack:*), tools/test/run-tests.mjs
// (npm test), `npm start`, and end-to-end tests that stop and start one
// server mid-stream.

import fs from 'node:fs';
import path from 'node:path';
import { clientEnv, loadConfig } from './internal/config.mjs';
import { kafkaServer } from './internal/kafka.mjs';
import { cassandraServer } from './internal/cassandra.mjs';
import { withStackLock } from './internal/lock.mjs';
import {
  findAnyStackJvms, findByMarker, isAlive, isOurs, isPortFree, markerArgs, readPidFile,
  removeFile, sleep, spawnDetached, tailFile, terminate, waitForPortsFree, writePidFile,
} from './internal/processes.mjs';
import {
  assertMavenInstalled, findJava17, jarsAreResolved, resolveJars, versionFromJars,
} from './internal/toolchain.mjs';

export { ConfigError, REPO_ROOT } from './internal/config.mjs';

/** A failure to start or stop the stack; the message says what to do. */
export class StackError extends Error {}

/** A start given up because of a signal or because the other server failed. */
class StartInterrupted extends StackError {}

const STATUS_PROBE_TIMEOUT_MS = 3000;
const START_PROBE_INTERVAL_MS = 1000;
const PORT_RELEASE_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 30;

/** Where the stack listens, and the env vars tests and apps read it from. */
export function stackConfig(env = process.env) {
  const config = loadConfig(env);
  return { ...config, env: clientEnv(config) };
}

/**
 * Starts whatever is not running yet, Kafka and Cassandra in parallel, and
 * resolves once both answer. If either fails, every server this call
 * started is stopped again, so a failed `up` leaves things as they were.
 */
export async function stackUp({ log = console.log, signal } = {}) {
  const config = loadConfig();
  return withStackLock(config.stackDir, async () => {
    const startedAt = Date.now();
    const list = allServers(config);
    await preflight(config, list);

    const failFast = new AbortController();
    const combined = signal ? AbortSignal.any([signal, failFast.signal]) : failFast.signal;
    const context = { config, log, signal: combined };
    const results = await Promise.allSettled(list.map((server) =>
      startServer(server, context).catch((error) => {
        failFast.abort();
        throw error;
      })));

    const started = list.filter((server, i) => results[i].value?.started).map((server) => server.id);
    const failures = results.filter((result) => result.status === 'rejected').map((result) => result.reason);
    if (failures.length > 0) {
      await stopServers(list.filter((server) => started.includes(server.id)), config, log);
      throw pickMainFailure(failures);
    }

    const servers = Object.fromEntries(list.map((server, i) => [server.id, results[i].value]));
    const elapsedMs = Date.now() - startedAt;
    const summary = list.map((server) => describe(server, servers[server.id])).join(', ');
    log(started.length === 0
      ? `The stack is already running: ${summary}.`
      : `The stack is up after ${seconds(elapsedMs)}: ${summary}.`);
    return { elapsedMs, started, servers, env: clientEnv(config) };
  }, log);
}

/** Stops every server of this stack dir (or only the ids given). */
export async function stackDown({ log = console.log, servers: ids } = {}) {
  const config = loadConfig();
  return withStackLock(config.stackDir, async () => {
    const list = allServers(config).filter((server) => !ids || ids.includes(server.id));
    const stopped = await stopServers(list, config, log);
    return { stopped };
  }, log);
}

/** Each server's state: 'ready' (running and answering), 'not-ready' or 'stopped'. */
export async function stackStatus() {
  const config = loadConfig();
  const list = allServers(config);
  const states = await Promise.all(list.map((server) => serverStatus(server, config)));
  const servers = Object.fromEntries(list.map((server, i) => [server.id, states[i]]));
  return { ready: states.every((state) => state.state === 'ready'), stackDir: config.stackDir, servers };
}

export const startKafka = (options) => startOne('kafka', options);
export const startCassandra = (options) => startOne('cassandra', options);
export const stopKafka = (options) => stackDown({ ...options, servers: ['kafka'] });
export const stopCassandra = (options) => stackDown({ ...options, servers: ['cassandra'] });

async function startOne(id, { log = console.log, signal } = {}) {
  const config = loadConfig();
  return withStackLock(config.stackDir, async () => {
    const server = allServers(config).find((candidate) => candidate.id === id);
    await preflight(config, [server]);
    return startServer(server, { config, log, signal });
  }, log);
}

function allServers(config) {
  return [kafkaServer(config), cassandraServer(config)];
}

/**
 * Fails at once, before anything starts, when Java 17 or Maven is missing
 * or a port is taken, instead of half-starting the stack.
 */
async function preflight(config, list) {
  const needStart = list.filter((server) => !runningPid(server, config));
  if (needStart.length === 0) return;
  findJava17(config);
  if (needStart.some((server) => !jarsAreResolved(server))) assertMavenInstalled();
  for (const server of needStart) await assertPortsFree(server, config);
}

async function startServer(server, context) {
  const { config, log } = context;
  const running = runningPid(server, config);
  if (running) return adoptRunning(server, running, context);

  fs.mkdirSync(server.dir, { recursive: true });
  dropStalePidFile(server, config, log);
  const java = findJava17(config);
  await resolveJars(server, java, log);
  await server.prepare(java, log);

  const args = [
    ...markerArgs(config.stackDir, server.id),
    ...server.jvmArgs(),
    '-cp', path.join(server.libDir, '*'),
    server.mainClass,
    ...server.mainArgs,
  ];
  // On failure we show only what this run logged, not an older run's lines.
  const logOffset = fileSize(server.logFile);
  const spawnedAt = Date.now();
  const pid = spawnDetached(java.bin, args, { cwd: server.dir, outFile: server.outFile });
  writePidFile(server.pidFile, pid);
  const version = versionFromJars(server) ?? '(version unknown)';
  log(`Starting ${server.title} ${version} on ${server.address} (pid ${pid})...`);

  try {
    const info = await waitUntilReady(server, pid, { since: spawnedAt, logOffset }, context);
    const result = { started: true, pid, ...info, startMs: Date.now() - spawnedAt };
    log(`${server.title} is ready after ${seconds(result.startMs)}.`);
    return result;
  } catch (error) {
    await stopPids(server, [pid], config);
    removeFile(server.pidFile);
    throw error;
  }
}

/** Our JVM is already there: use it once it answers, never start a second. */
async function adoptRunning(server, pid, context) {
  writePidFile(server.pidFile, pid); // it may have been found through /proc only
  const info = await probeOnce(server);
  if (info) {
    context.log(`${server.title} is already running on ${server.address} (pid ${pid}).`);
    return { started: false, pid, ...info };
  }
  context.log(`${server.title} is running (pid ${pid}) but not answering yet; waiting for it.`);
  const waited = await waitUntilReady(server, pid, { since: Date.now(), logOffset: 0 }, context);
  return { started: false, pid, ...waited };
}

async function waitUntilReady(server, pid, { since, logOffset }, { config, signal }) {
  const deadline = since + config.startTimeoutMs;
  for (;;) {
    if (signal?.aborted) throw new StartInterrupted(`${server.title} start-up was interrupted.`);
    if (!isAlive(pid)) throw startFailure(server, `${server.title} exited during start-up`, logOffset);
    const info = await probeOnce(server, Math.max(1000, Math.min(5000, deadline - Date.now())));
    if (info) return info;
    if (Date.now() >= deadline) {
      throw startFailure(server,
        `${server.title} did not answer on ${server.address} within ${seconds(config.startTimeoutMs)} ` +
        '(raise STACK_START_TIMEOUT_MS if the machine is just slow)', logOffset);
    }
    await sleep(START_PROBE_INTERVAL_MS);
  }
}

async function probeOnce(server, timeoutMs = STATUS_PROBE_TIMEOUT_MS) {
  try {
    const info = await server.probe(timeoutMs);
    return { ...info, version: info.version ?? versionFromJars(server) };
  } catch {
    return null;
  }
}

async function serverStatus(server, config) {
  const pid = runningPid(server, config);
  const base = { title: server.title, address: server.address, logFile: server.logFile };
  if (!pid) return { ...base, state: 'stopped' };
  const info = await probeOnce(server);
  return info ? { ...base, state: 'ready', pid, ...info } : { ...base, state: 'not-ready', pid };
}

/** The pid of our running JVM for this server, from its pid file or /proc. */
function runningPid(server, config) {
  const marker = markerArgs(config.stackDir, server.id);
  const fromFile = readPidFile(server.pidFile);
  if (fromFile && isOurs(fromFile, marker)) return fromFile;
  return findByMarker(marker)[0] ?? null;
}

function dropStalePidFile(server, config, log) {
  const pid = readPidFile(server.pidFile);
  if (pid && !isOurs(pid, markerArgs(config.stackDir, server.id))) {
    removeFile(server.pidFile);
    log(`Removed a stale ${server.title} pid file (process ${pid} is gone or is not our ${server.title}).`);
  }
}

async function assertPortsFree(server, config) {
  for (const { variable, port } of server.ports) {
    if (await isPortFree(port)) continue;
    const other = findAnyStackJvms().find((jvm) => jvm.stackDir !== config.stackDir);
    const hint = other
      ? ` A userstream stack from ${other.stackDir} is running (pid ${other.pid}); stop it with ` +
        `USERSTREAM_STACK_DIR=${other.stackDir} npm run stack:down, or use it by setting that variable.`
      : ` Stop whatever listens there, or set ${variable} to a free port.`;
    throw new StackError(`Port ${port} (${variable}) is already in use, so ${server.title} cannot start.${hint}`);
  }
}

async function stopServers(list, config, log) {
  const stopped = await Promise.all(list.map((server) => stopServer(server, config, log)));
  return list.filter((server, i) => stopped[i]).map((server) => server.id);
}

async function stopServer(server, config, log) {
  const marker = markerArgs(config.stackDir, server.id);
  const pidFromFile = readPidFile(server.pidFile);
  const pids = new Set(findByMarker(marker));
  if (pidFromFile && isOurs(pidFromFile, marker)) pids.add(pidFromFile);

  if (pids.size === 0) {
    removeFile(server.pidFile);
    log(pidFromFile
      ? `${server.title} was not running; removed its stale pid file (pid ${pidFromFile}).`
      : `${server.title} is not running.`);
    return false;
  }

  const stoppingAt = Date.now();
  log(`Stopping ${server.title} (pid ${[...pids].join(', ')})...`);
  const { killed, busyPorts } = await stopPids(server, [...pids], config);
  removeFile(server.pidFile);
  log(`${server.title} stopped after ${seconds(Date.now() - stoppingAt)}` +
    `${killed ? ` (killed: it had not exited ${seconds(config.stopTimeoutMs)} after SIGTERM)` : ''}.`);
  if (busyPorts.length > 0) {
    log(`Warning: port ${busyPorts.join(', ')} is still in use after ${server.title} stopped; something else holds it.`);
  }
  return true;
}

/** SIGTERM (SIGKILL after the stop timeout), then wait for the ports to be released. */
async function stopPids(server, pids, config) {
  const outcomes = await Promise.all(pids.map((pid) => terminate(pid, config.stopTimeoutMs)));
  const busyPorts = await waitForPortsFree(server.ports.map(({ port }) => port), PORT_RELEASE_TIMEOUT_MS);
  return { killed: outcomes.some((outcome) => outcome.killed), busyPorts };
}

function startFailure(server, headline, logOffset) {
  const sections = [`${headline}.`];
  const logTail = tailFile(server.logFile, LOG_TAIL_LINES, logOffset);
  sections.push(logTail
    ? `Last lines of ${server.logFile}:\n${indent(logTail)}`
    : `${server.logFile} is empty or missing.`);
  const outTail = tailFile(server.outFile, LOG_TAIL_LINES);
  if (outTail) sections.push(`Last lines of ${server.outFile}:\n${indent(outTail)}`);
  return new StackError(sections.join('\n'));
}

/** The real cause, not the "interrupted" of the server we aborted because of it. */
function pickMainFailure(failures) {
  return failures.find((error) => !(error instanceof StartInterrupted)) ?? failures[0];
}

function describe(server, info) {
  return `${server.title} ${info.version} on ${server.address}`;
}

function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Indented, with very long lines (Kafka logs whole records) cut short. */
function indent(text) {
  const cut = (line) => (line.length > 400 ? `${line.slice(0, 400)}...` : line);
  return text.split('\n').map((line) => `    ${cut(line)}`).join('\n');
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
