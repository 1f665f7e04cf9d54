// Starts a built app (node <entry>) as a child process for tests, waits until
// it answers GET /health/live, and stops it with a signal, reporting the exit
// code. Output is kept so a failing test can show the app's last log lines.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * The SERVICE_TOKEN every app started here gets unless the test sets its own:
 * ingest and the stream-processor require it, the orchestrator sends it.
 */
export const TEST_SERVICE_TOKEN = 'userstream-test-service-token';

/** Headers carrying {@link TEST_SERVICE_TOKEN}, for requests a test makes to ingest or the stream-processor. */
export const SERVICE_AUTH = Object.freeze({ authorization: `Bearer ${TEST_SERVICE_TOKEN}` });

/**
 * NODE_OPTIONS for the app in `appDir`: the flags its package.json asks for
 * (`userstream.nodeOptions`, e.g. the stream-processor's heap bound; the
 * images get them as their NODE_OPTIONS too), then `inherited`, so that a
 * flag the caller sets wins (Node takes the last of a repeated flag).
 */
export function appNodeOptions(appDir, inherited = process.env.NODE_OPTIONS) {
  const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));
  const own = typeof pkg.userstream?.nodeOptions === 'string' ? pkg.userstream.nodeOptions : '';
  return [own, inherited ?? '']
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
}

/** `apps/<app>` of a built entry `apps/<app>/dist/main.js`. */
export function appDirOf(entry) {
  return dirname(dirname(entry));
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

async function waitForLive(url, child, output, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`app exited with code ${child.exitCode} before answering:\n${output.join('')}`);
    try {
      const res = await fetch(`${url}/health/live`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`app did not answer ${url}/health/live within ${timeoutMs} ms:\n${output.slice(-30).join('')}`);
}

/**
 * @param {string} entry path of the built main.js
 * @param {{ env?: Record<string,string>, port?: number, timeoutMs?: number, waitLive?: boolean }} [options]
 */
export async function startAppProcess(entry, options = {}) {
  const port = options.port ?? (await freePort());
  const output = [];
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      SERVICE_TOKEN: TEST_SERVICE_TOKEN,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...options.env,
      NODE_OPTIONS: appNodeOptions(appDirOf(entry), options.env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => output.push(d.toString()));
  child.stderr.on('data', (d) => output.push(d.toString()));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  if (options.waitLive !== false) {
    try {
      await waitForLive(url, child, output, options.timeoutMs ?? 30_000);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  }
  return {
    url,
    port,
    pid: child.pid,
    child,
    output: () => output.join(''),
    exited,
    /** Sends `signal` (default SIGTERM) and resolves with the exit code and signal. */
    /** @param {NodeJS.Signals} [signal] */
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
