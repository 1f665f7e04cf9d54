import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'cassandra-driver';
import { waitFor } from '@userstream/core';

// `npm start -- --mock` as a user runs it (the script behind it, on the dev
// stack the test runner started), with its own ports, topic and keyspaces so
// it never meets another test's data: rows arrive, the first run is an
// orchestrator run, and Ctrl-C stops everything and exits 0.

const START = path.join(__dirname, '..', 'start.mjs');
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
    child = spawn(process.execPath, [START, '--mock', '--seconds', '5'], {
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
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    await waitFor(() => output.includes('Press Ctrl-C to stop.') || (child?.exitCode !== null ? Promise.reject(new Error(`npm start ended:\n${output}`)) : undefined), {
      timeoutMs: 240_000,
      intervalMs: 250,
      description: 'npm start to start streaming',
    });
    expect(output).toContain(`Dashboard: http://127.0.0.1:${ports.orchestrator}/`);
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

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
    for (const port of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
    }
  });
});
