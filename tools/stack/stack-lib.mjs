// The dev stack: a real Kafka and a real Cassandra, run from Maven Central
// jars as plain JVM processes on loopback addresses, with their state in
// .stack/. Two shapes (internal/shapes.mjs): one node of each on 127.0.0.1
// (the default), or a cluster of three of each on 127.0.0.1-3 (`nodes: 3`).
//
// Used by tools/stack/stack.mjs (npm run stack:*), tools/test/run-tests.mjs
// (npm test), `npm start`, and end-to-end tests that stop, start or kill
// servers mid-stream.

import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from './internal/config.mjs';
import { withStackLock } from './internal/lock.mjs';
import {
  findAnyStackJvms,
  findByMarker,
  isAlive,
  isOurs,
  isPortFree,
  kill,
  markerArgs,
  readPidFile,
  removeFile,
  sleep,
  spawnDetached,
  tailFile,
  terminate,
  waitForPortsFree,
  writePidFile,
} from './internal/processes.mjs';
import { allShapes, buildShape, recordNodes, recordedNodes, recordedSecure } from './internal/shapes.mjs';
import { assertMavenInstalled, findJava17, jarsAreResolved, resolveJars, versionFromJars } from './internal/toolchain.mjs';

export { COMMITLOG_MODES, ConfigError, NODE_COUNTS, REPO_ROOT } from './internal/config.mjs';

/** A failure to start or stop the stack; the message says what to do. */
export class StackError extends Error {}

/** A start given up because of a signal or because another server failed. */
class StartInterrupted extends StackError {}

const STATUS_PROBE_TIMEOUT_MS = 3000;
const START_PROBE_INTERVAL_MS = 1000;
const PORT_RELEASE_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 30;

/**
 * Which stack: `nodes` (1 or 3) picks the shape, `env` defaults to process.env.
 * @typedef {{ nodes?: number, env?: NodeJS.ProcessEnv }} StackTarget
 */
/**
 * @typedef {StackTarget & { log?: (message: string) => void, signal?: AbortSignal }} StackOptions
 */

/**
 * The settings and the shape: where the stack listens, and `env`, the
 * variables tests and apps read it from. `nodes` (1 or 3) picks the shape;
 * without it STACK_NODES does, then the shape this stack dir was last started
 * with.
 */
/**
 * @param {NodeJS.ProcessEnv} [env]
 * @param {{ nodes?: number }} [options]
 */
export function stackConfig(env = process.env, { nodes } = {}) {
  const { config, shape } = load({ nodes, env });
  return { ...config, nodes: shape.nodes, shape: shape.name, servers: shape.servers.map((server) => server.id), env: shape.env };
}

/** Every function takes `{ nodes, env }`: env defaults to process.env, read at each call. */
/** @param {StackTarget} [target] */
function load({ nodes, env = process.env } = {}) {
  const config = loadConfig(env, { nodes });
  const secure = config.secure ?? (config.nodes === undefined && recordedSecure(config.stackDir));
  const shape = buildShape({ ...config, secure }, config.nodes ?? recordedNodes(config.stackDir));
  return { config, shape };
}

/**
 * Starts whatever is not running yet and resolves once everything answers:
 * Kafka and Cassandra side by side; in a cluster all brokers at once and the
 * Cassandra nodes one after another. If anything fails, every server this
 * call started is stopped again, so a failed `up` leaves things as they were.
 */
/** @param {StackOptions} [options] */
export async function stackUp({ log = console.log, signal, nodes, env } = {}) {
  const { config, shape } = load({ nodes, env });
  return withStackLock(
    config.stackDir,
    async () => {
      const startedAt = Date.now();
      assertNoOtherShapeRunning(config, shape);
      await preflight(config, shape.servers);
      recordNodes(config.stackDir, shape.nodes, shape.secure);
      const results = await startTracks(shape.tracks, { config, log, signal });

      const started = shape.servers.filter((server) => results.get(server.id)?.started).map((server) => server.id);
      const servers = Object.fromEntries(shape.servers.map((server) => [server.id, results.get(server.id)]));
      const elapsedMs = Date.now() - startedAt;
      const summary = summarize(shape, servers);
      log(started.length === 0 ? `The stack is already running: ${summary}.` : `The stack is up after ${seconds(elapsedMs)}: ${summary}.`);
      return { elapsedMs, started, servers, nodes: shape.nodes, env: shape.env };
    },
    log,
  );
}

/**
 * Stops every server of this stack dir, or only those named: ids such as
 * `cassandra-2`, or a kind (`kafka`, `cassandra`) for all nodes of that kind.
 */
/** @param {StackOptions & { servers?: string[] }} [options] */
export async function stackDown({ log = console.log, servers: names, nodes, env } = {}) {
  const { config, shape } = load({ nodes, env });
  return withStackLock(
    config.stackDir,
    async () => {
      let list = shape.servers;
      if (names) {
        list = selectServers(shape, names);
      } else {
        // Also whatever another shape left running in this dir.
        const others = allShapes(config)
          .filter((other) => other.name !== shape.name)
          .flatMap((other) => other.servers);
        list = [...list, ...others.filter((server) => runningPid(server, config))];
      }
      const stopped = await stopServers(list, config, log);
      return { stopped };
    },
    log,
  );
}

/** Each server's state: 'ready' (running and answering), 'not-ready' or 'stopped'. */
/** @param {StackTarget} [target] */
export async function stackStatus({ nodes, env } = {}) {
  const { config, shape } = load({ nodes, env });
  const states = await Promise.all(shape.servers.map((server) => serverStatus(server, config)));
  const servers = Object.fromEntries(shape.servers.map((server, i) => [server.id, states[i]]));
  return {
    ready: states.every((state) => state.state === 'ready'),
    stackDir: config.stackDir,
    nodes: shape.nodes,
    servers,
  };
}

export const startKafka = (/** @type {StackOptions | undefined} */ options) => startServers(['kafka'], options);
export const startCassandra = (/** @type {StackOptions | undefined} */ options) => startServers(['cassandra'], options);
export const stopKafka = (/** @type {StackOptions | undefined} */ options) => stackDown({ ...options, servers: ['kafka'] });
export const stopCassandra = (/** @type {StackOptions | undefined} */ options) => stackDown({ ...options, servers: ['cassandra'] });

/**
 * Starts the named servers (ids or kinds, as for stackDown) of the current
 * shape in the shape's order, and resolves once they answer; e.g. a killed
 * node brought back: `startServers(['cassandra-2'])`.
 */
/**
 * @param {string[]} names
 * @param {StackOptions} [options]
 */
export async function startServers(names, { log = console.log, signal, nodes, env } = {}) {
  const { config, shape } = load({ nodes, env });
  return withStackLock(
    config.stackDir,
    async () => {
      const wanted = new Set(selectServers(shape, names).map((server) => server.id));
      const tracks = shape.tracks
        .map((track) => track.map((stage) => stage.filter((server) => wanted.has(server.id))).filter((stage) => stage.length > 0))
        .filter((track) => track.length > 0);
      await preflight(
        config,
        shape.servers.filter((server) => wanted.has(server.id)),
      );
      const results = await startTracks(tracks, { config, log, signal });
      return Object.fromEntries(results);
    },
    log,
  );
}

/**
 * kill -9 of one server (id such as `cassandra-2`, or `kafka` on one node):
 * a crash, with no chance to flush or to tell its peers. Resolves with its
 * pid once the process is gone; throws when it was not running.
 */
/**
 * @param {string} name
 * @param {StackOptions} [options]
 */
export async function killServer(name, { log = console.log, nodes, env } = {}) {
  const { config, shape } = load({ nodes, env });
  return withStackLock(
    config.stackDir,
    async () => {
      const [server, ...more] = selectServers(shape, [name]);
      if (more.length > 0) throw new StackError(`"${name}" names ${more.length + 1} servers; name one, e.g. ${server.id}.`);
      const pid = runningPid(server, config);
      if (!pid) throw new StackError(`${server.title} is not running, so it cannot be killed.`);
      // Gone means gone: no process, and its ports free for a restart.
      const gone = await kill(pid);
      const busyPorts = await waitForPortsFree(portsOf(server), PORT_RELEASE_TIMEOUT_MS);
      if (!gone || busyPorts.length > 0) {
        throw new StackError(
          `${server.title} (pid ${pid}) got SIGKILL but ` + `${gone ? `port ${busyPorts.join(', ')} is still in use` : 'has not exited after 60 s'}.`,
        );
      }
      removeFile(server.pidFile);
      log(`Killed ${server.title} (pid ${pid}) with SIGKILL.`);
      return { pid };
    },
    log,
  );
}

/** The pids of this stack dir's running servers, by id (e.g. to sample their CPU and memory). */
/** @param {StackTarget} [target] */
export function stackPids({ nodes, env } = {}) {
  const { config, shape } = load({ nodes, env });
  return Object.fromEntries(shape.servers.map((server) => [server.id, runningPid(server, config)]));
}

/** `names`: server ids or kinds; throws naming the valid ones when one matches nothing. */
function selectServers(shape, names) {
  const selected = [];
  for (const name of names) {
    const matches = shape.servers.filter((server) => server.id === name || server.kind === name);
    if (matches.length === 0) {
      throw new StackError(
        `There is no server called "${name}" in the ${shape.describe}; ` +
          `name one of: ${[...new Set(shape.servers.flatMap((server) => [server.kind, server.id]))].join(', ')}.`,
      );
    }
    for (const server of matches) if (!selected.includes(server)) selected.push(server);
  }
  return selected;
}

/** One shape per stack dir at a time: both would want the same ports and names. */
function assertNoOtherShapeRunning(config, shape) {
  for (const other of allShapes(config)) {
    if (other.name === shape.name) continue;
    const running = other.servers.filter((server) => runningPid(server, config));
    if (running.length > 0) {
      throw new StackError(
        `The stack in ${config.stackDir} is running as ${other.describe} ` +
          `(${running.map((server) => server.title).join(', ')}), so ${shape.describe} cannot start there. ` +
          'Stop it first (npm run stack:down), or use another USERSTREAM_STACK_DIR.',
      );
    }
  }
}

/**
 * Runs the tracks side by side, each stage after the previous one. The first
 * failure aborts the rest and stops every server this call started.
 * Resolves with a Map from server id to its start result.
 */
async function startTracks(tracks, { config, log, signal }) {
  const failFast = new AbortController();
  const combined = signal ? AbortSignal.any([signal, failFast.signal]) : failFast.signal;
  const context = { config, log, signal: combined };
  const results = new Map();
  const runTrack = async (track) => {
    for (const stage of track) {
      if (combined.aborted) throw new StartInterrupted('Start-up was interrupted.');
      await Promise.all(
        stage.map(async (server) => {
          try {
            results.set(server.id, await startServer(server, context));
          } catch (error) {
            failFast.abort();
            throw error;
          }
        }),
      );
    }
  };
  const outcomes = await Promise.allSettled(tracks.map(runTrack));
  const failures = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason);
  if (failures.length > 0) {
    const servers = tracks.flat(2);
    await stopServers(
      servers.filter((server) => results.get(server.id)?.started),
      config,
      log,
    );
    throw pickMainFailure(failures);
  }
  return results;
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

  const args = [...markerArgs(config.stackDir, server.id), ...server.jvmArgs(), '-cp', path.join(server.libDir, '*'), server.mainClass, ...server.mainArgs];
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
      throw startFailure(
        server,
        `${server.title} did not answer on ${server.address} within ${seconds(config.startTimeoutMs)} ` +
          '(raise STACK_START_TIMEOUT_MS if the machine is just slow)',
        logOffset,
      );
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
  for (const { variable, port, host = server.host } of server.ports) {
    if (await isPortFree(port, host)) continue;
    const other = findAnyStackJvms().find((jvm) => jvm.stackDir !== config.stackDir);
    const hint = other
      ? ` Perhaps the userstream stack from ${other.stackDir} holds it (pid ${other.pid}); stop it with ` +
        `USERSTREAM_STACK_DIR=${other.stackDir} npm run stack:down, or use it by setting that variable.`
      : ` Stop whatever listens there, or set ${variable} to a free port.`;
    throw new StackError(`Port ${port} (${variable}) on ${host} is already in use, so ${server.title} cannot start.${hint}`);
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
    log(pidFromFile ? `${server.title} was not running; removed its stale pid file (pid ${pidFromFile}).` : `${server.title} is not running.`);
    return false;
  }

  const stoppingAt = Date.now();
  log(`Stopping ${server.title} (pid ${[...pids].join(', ')})...`);
  const { killed, busyPorts } = await stopPids(server, [...pids], config);
  removeFile(server.pidFile);
  log(
    `${server.title} stopped after ${seconds(Date.now() - stoppingAt)}` +
      `${killed ? ` (killed: it had not exited ${seconds(config.stopTimeoutMs)} after SIGTERM)` : ''}.`,
  );
  if (busyPorts.length > 0) {
    log(`Warning: port ${busyPorts.join(', ')} is still in use after ${server.title} stopped; something else holds it.`);
  }
  return true;
}

/** SIGTERM (SIGKILL after the stop timeout), then wait for the ports to be released. */
async function stopPids(server, pids, config) {
  const outcomes = await Promise.all(pids.map((pid) => terminate(pid, config.stopTimeoutMs)));
  const busyPorts = await waitForPortsFree(portsOf(server), PORT_RELEASE_TIMEOUT_MS);
  return { killed: outcomes.some((outcome) => outcome.killed), busyPorts };
}

/** The `{ port, host }` pairs a server listens on. */
function portsOf(server) {
  return server.ports.map(({ port, host = server.host }) => ({ port, host }));
}

function startFailure(server, headline, logOffset) {
  const sections = [`${headline}.`];
  const logTail = tailFile(server.logFile, LOG_TAIL_LINES, logOffset);
  sections.push(logTail ? `Last lines of ${server.logFile}:\n${indent(logTail)}` : `${server.logFile} is empty or missing.`);
  const outTail = tailFile(server.outFile, LOG_TAIL_LINES);
  if (outTail) sections.push(`Last lines of ${server.outFile}:\n${indent(outTail)}`);
  return new StackError(sections.join('\n'));
}

/** The real cause, not the "interrupted" of the server we aborted because of it. */
function pickMainFailure(failures) {
  return failures.find((error) => !(error instanceof StartInterrupted)) ?? failures[0];
}

/** "Kafka 4.4.0 on 127.0.0.1:9092, ..." or, for a cluster, one entry per kind. */
function summarize(shape, servers) {
  if (shape.nodes === 1) {
    return shape.servers.map((server) => `${server.title} ${servers[server.id].version} on ${server.address}`).join(', ');
  }
  const kinds = [...new Set(shape.servers.map((server) => server.kind))];
  return kinds
    .map((kind) => {
      const nodes = shape.servers.filter((server) => server.kind === kind);
      const name = kind === 'kafka' ? 'Kafka' : 'Cassandra';
      return `${nodes.length} ${name} ${servers[nodes[0].id].version} nodes on ${nodes.map((server) => server.address).join(' ')}`;
    })
    .join(', ');
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
  return text
    .split('\n')
    .map((line) => `    ${cut(line)}`)
    .join('\n');
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
