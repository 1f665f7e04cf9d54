// Process and port helpers: detached JVMs, pid files that survive our own
// exit, telling our JVMs from anything else, and ports.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { sleep } from '@userstream/tools/testing/async';
import { HOST } from './config.mjs';

export { sleep };

/**
 * System properties added to every JVM we start. They do nothing in the JVM;
 * they let us recognise our processes in /proc even after a pid file went
 * stale or the pid was reused by something else.
 */
export function markerArgs(stackDir, serverId) {
  return [`-Duserstream.stack=${stackDir}`, `-Duserstream.server=${serverId}`];
}

function commandLine(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Alive and not a zombie (a zombie has exited and only waits to be reaped). */
export function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function isOurs(pid, marker) {
  if (!isAlive(pid)) return false;
  const args = commandLine(pid);
  return marker.every((arg) => args.includes(arg));
}

/** Every live process whose command line carries the marker. */
export function findByMarker(marker) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && isOurs(Number(entry), marker)) pids.push(Number(entry));
  }
  return pids;
}

/** Processes of any userstream stack (any stack dir), to name who holds a port. */
export function findAnyStackJvms() {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = commandLine(Number(entry));
    const stack = args.find((arg) => arg.startsWith('-Duserstream.stack='));
    const server = args.find((arg) => arg.startsWith('-Duserstream.server='));
    if (stack && server) {
      found.push({ pid: Number(entry), stackDir: stack.split('=')[1], server: server.split('=')[1] });
    }
  }
  return found;
}

export function readPidFile(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function writePidFile(file, pid) {
  fs.writeFileSync(file, `${pid}\n`);
}

export function removeFile(file) {
  fs.rmSync(file, { force: true });
}

/**
 * Starts a command in its own session, with stdout and stderr going to a
 * file (emptied first: it then holds only this run), so that it outlives
 * the Node process that started it.
 */
export function spawnDetached(command, args, { cwd, outFile }) {
  const out = fs.openSync(outFile, 'w');
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', out, out] });
    child.on('error', () => {
      /* a failed exec shows up as a dead pid */
    });
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/**
 * SIGKILL at once (a crash, for tests). Resolves true once the pid is gone,
 * false when it is still tearing down after timeoutMs (a JVM of a few GiB
 * can take that long on a busy machine).
 */
export async function kill(pid, timeoutMs = 60_000) {
  if (!signal(pid, 'SIGKILL')) return true;
  return waitUntilGone(pid, timeoutMs);
}

/** SIGTERM, then SIGKILL after timeoutMs. Resolves once the pid is gone. */
export async function terminate(pid, timeoutMs) {
  if (!signal(pid, 'SIGTERM')) return { killed: false };
  if (await waitUntilGone(pid, timeoutMs)) return { killed: false };
  signal(pid, 'SIGKILL');
  await waitUntilGone(pid, 10_000);
  return { killed: true };
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
  return true;
}

/** True when we could listen on the port ourselves, i.e. nobody holds it. */
export function isPortFree(port, host = HOST) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Waits until every `{ port, host }` is free; resolves with those still busy ("host:port"). */
export async function waitForPortsFree(ports, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = [];
    for (const { port, host } of ports) if (!(await isPortFree(port, host))) busy.push(`${host}:${port}`);
    if (busy.length === 0 || Date.now() >= deadline) return busy;
    await sleep(250);
  }
}

/**
 * The last `count` lines of a text file written after byte `fromOffset`,
 * or '' when there are none. A file shorter than the offset was rotated
 * meanwhile and is read whole.
 */
export function tailFile(file, count, fromOffset = 0) {
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(fromOffset <= size ? fromOffset : 0, size - 64 * 1024);
    const length = size - start;
    const buffer = Buffer.alloc(length);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buffer, 0, length, start);
    } finally {
      fs.closeSync(fd);
    }
    return buffer.toString('utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}
