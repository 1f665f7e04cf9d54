import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'cassandra-driver';
import { waitFor } from '@userstream/core';

// `npm start -- --mock` as a user runs it (the script behind it, on the dev
// stack the test runner started), on a terminal (a pseudo-terminal), with its
// own ports, topic and keyspaces so it never meets another test's data: the
// first screen shows readable lines and the banner, no raw JSON; rows arrive,
// the first run is an orchestrator run followed by a live progress line, and
// Ctrl-C stops everything and exits 0.

const START = path.join(__dirname, '..', 'start.mjs');
const PTY_RUN = path.join(__dirname, 'pty-run.py');

// eslint-disable-next-line no-control-regex -- an ANSI escape sequence starts with the ESC control character
const ANSI_ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;

/** What a terminal shows for `output`: each line as its last carriage return left it, without colors. */
function screenLines(output: string): string[] {
  return output
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('\r') + 1).replace(ANSI_ESCAPE, ''));
}

function isJsonObject(line: string): boolean {
  const text = line.trim();
  if (!text.startsWith('{')) return false;
  try {
    return typeof JSON.parse(text) === 'object';
  } catch {
    return false;
  }
}
const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
const localDataCenter = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';

/** A port nothing listens on right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('npm start -- --mock', () => {
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const keyspace = `start_${suffix}`;
  const orchestratorKeyspace = `start_orch_${suffix}`;
  let child: ChildProcess | undefined;
  let output = '';
  const cassandra = new Client({ contactPoints, localDataCenter });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const ks of [keyspace, orchestratorKeyspace]) await cassandra.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch(() => undefined);
    await cassandra.shutdown();
  });

  it('streams users from the mock into Cassandra, shows the run on the orchestrator, and stops cleanly on Ctrl-C', async () => {
    const ports = { ingest: await freePort(), processor: await freePort(), orchestrator: await freePort(), mock: await freePort() };
    const password = 'start-test-password';
    child = spawn('/usr/bin/python3', [PTY_RUN, process.execPath, START, '--mock', '--seconds', '5'], {
      env: {
        ...process.env,
        INGEST_PORT: String(ports.ingest),
        PROCESSOR_PORT: String(ports.processor),
        ORCHESTRATOR_PORT: String(ports.orchestrator),
        MOCK_API_PORT: String(ports.mock),
        ORCHESTRATOR_PASSWORD: password,
        KAFKA_TOPIC: `start_${suffix}`,
        KAFKA_GROUP_ID: `start_${suffix}`,
        CASSANDRA_KEYSPACE: keyspace,
        ORCHESTRATOR_KEYSPACE: orchestratorKeyspace,
        ORCHESTRATOR_JOB_PAUSED: 'true',
        LOG_LEVEL: 'info',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    await waitFor(
      () => output.includes('Press Ctrl-C to stop.') || (child?.exitCode !== null ? Promise.reject(new Error(`npm start ended:\n${output}`)) : undefined),
      {
        timeoutMs: 240_000,
        intervalMs: 250,
        description: 'npm start to start streaming',
      },
    );
    // The first screen: everything up to the banner, as the terminal shows it.
    const first = screenLines(output);
    const banner = first.findIndex((line) => line === 'userstream is running');
    expect(banner).toBeGreaterThan(0);
    expect(first[banner - 1]).toMatch(/^─{20,}$/);
    expect(first.slice(banner, banner + 9).join('\n')).toContain(
      `Dashboard: http://127.0.0.1:${ports.orchestrator}/\n  Login:     admin / <your ORCHESTRATOR_PASSWORD>`,
    );
    expect(first.filter(isJsonObject)).toEqual([]);
    expect(first.filter((line) => line.includes('"level":'))).toEqual([]);
    // One readable line per event under each app's name (info events are on by LOG_LEVEL=info).
    for (const app of ['ingest', 'stream-processor', 'orchestrator']) {
      expect(first.some((line) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${app} +INFO  \\S`).test(line))).toBe(true);
    }
    expect(output).toMatch(/Streaming users for 5 s \(orchestrator run [0-9a-f-]{36} of job user_data_kafka_stream/);

    const rows = await waitFor(
      async () => {
        const count = await cassandra
          .execute(`SELECT COUNT(*) AS n FROM ${keyspace}.users`)
          .then((result) => Number(result.first().get('n')))
          .catch(() => 0);
        return count > 0 ? count : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: `rows in ${keyspace}.users` },
    );
    expect(rows).toBeGreaterThan(0);

    const auth = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
    const finished = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${ports.orchestrator}/api/runs?job=user_data_kafka_stream`, { headers: auth });
        const body = (await res.json()) as { runs: { state: string; trigger: string; counts?: { acknowledged?: number } }[] };
        const run = body.runs[0];
        return run && !['queued', 'running', 'up_for_retry'].includes(run.state) ? run : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, description: 'the first orchestrator run to end' },
    );
    expect(finished).toMatchObject({ state: 'success', trigger: 'manual' });

    // The live progress line followed the run, and its end was reported.
    await waitFor(() => /Run [0-9a-f]{8} ended: success after \d+ s/.test(output) || undefined, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'the run summary line',
    });
    expect(output).toMatch(/▶ run [0-9a-f]{8} running \d+ s · [\d,–]+ records\/s · produced [\d,–]+ · written [\d,–]+ · lag [\d,–]+ · DLQ [\d,–]+/);

    // Ctrl-C, typed into the terminal.
    child.stdin?.write('\x03');
    expect(await exited).toBe(0);
    expect(output).toMatch(/Stopped everything npm start started in \d+\.\d s\./);
    expect(output).toMatch(/orchestrator stopped \(exit 0, /);
    for (const port of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
    }
  });
});

describe('npm start options', () => {
  it('prints its usage for --help and refuses unknown options and bad numbers with exit 2', () => {
    const help = spawnSync(process.execPath, [START, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--json-logs');
    const unknown = spawnSync(process.execPath, [START, '--bogus'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/npm start: .*'--bogus'/);
    const seconds = spawnSync(process.execPath, [START, '--seconds', 'soon'], { encoding: 'utf8' });
    expect(seconds.status).toBe(2);
    expect(seconds.stderr).toContain('--seconds must be a whole number');
  });
});
