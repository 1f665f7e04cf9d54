import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// The stack commands as a user runs them (`node tools/stack/stack.mjs ...`), on a
// second, throw-away stack: its own folder and ports, so the stack the other
// tests use is never touched.

const STACK_CLI = path.join(__dirname, '..', 'stack.mjs');
const PORTS = { KAFKA_PORT: 19192, KAFKA_CONTROLLER_PORT: 19193, CASSANDRA_PORT: 19142, CASSANDRA_STORAGE_PORT: 17100 };

interface Result {
  code: number | null;
  /** stdout and stderr as they came. */
  output: string;
  stdout: string;
}

function stackCli(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STACK_CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output, stdout }));
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

interface Status {
  ready: boolean;
  servers: Record<'kafka' | 'cassandra', { state: string; pid?: number }>;
}

async function status(env: Record<string, string>): Promise<Status> {
  const result = await stackCli(['status', '--json'], env);
  // stdout only: on Node 24 kafkajs's probe makes Node print a TimeoutNegativeWarning on stderr.
  return JSON.parse(result.stdout) as Status;
}

/** A live process (a zombie that nobody reaped yet is not: it holds no port and no memory). */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Live JVMs started for this stack folder (the stack marks its command lines with the folder). */
function jvmsOf(stackDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`-Duserstream.stack=${stackDir}`) && isRunning(pid);
      } catch {
        return false;
      }
    });
}

describe('the dev stack commands', () => {
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userstream-stack-test-'));
  const env = {
    USERSTREAM_STACK_DIR: stackDir,
    ...Object.fromEntries(Object.entries(PORTS).map(([name, port]) => [name, String(port)])),
  };

  afterAll(async () => {
    await stackCli(['down'], env);
    fs.rmSync(stackDir, { recursive: true, force: true });
  });

  it('fails at once, naming Maven, when mvn is missing and the jars are not resolved yet', async () => {
    const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), 'userstream-no-mvn-'));
    const result = await stackCli(['up'], { ...env, PATH: emptyPath });
    fs.rmSync(emptyPath, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.output).toContain('Error: Maven (mvn) is not on the PATH');
    for (const port of Object.values(PORTS)) expect(await portIsFree(port)).toBe(true);
  });

  it('refuses a port that is not a number, naming the variable', async () => {
    const result = await stackCli(['status'], { ...env, KAFKA_PORT: 'ninety' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('KAFKA_PORT must be a positive whole number, not "ninety"');
  });

  it('starts once, is idempotent, reports status, and stops leaving no process and free ports', async () => {
    const up = await stackCli(['up'], env);
    expect(up.output).toMatch(/The stack is up after [\d.]+ s: Kafka 4\.\d+\.\d+ on 127\.0\.0\.1:19192, Cassandra 5\.0\.\d+ on 127\.0\.0\.1:19142\./);
    expect(up.code).toBe(0);
    const first = await status(env);
    expect(first.ready).toBe(true);
    expect(first.servers.kafka.state).toBe('ready');
    expect(first.servers.cassandra.state).toBe('ready');
    const pids = { kafka: first.servers.kafka.pid ?? 0, cassandra: first.servers.cassandra.pid ?? 0 };
    expect(isRunning(pids.kafka) && isRunning(pids.cassandra)).toBe(true);
    expect(jvmsOf(stackDir).sort()).toEqual([pids.kafka, pids.cassandra].sort());

    // Up twice gives one stack: the same processes, nothing new started.
    const again = await stackCli(['up'], env);
    expect(again.code).toBe(0);
    expect(again.output).toContain('The stack is already running');
    const second = await status(env);
    expect({ kafka: second.servers.kafka.pid, cassandra: second.servers.cassandra.pid }).toEqual(pids);

    const down = await stackCli(['down'], env);
    expect(down.code).toBe(0);
    expect(isRunning(pids.kafka)).toBe(false);
    expect(isRunning(pids.cassandra)).toBe(false);
    expect(jvmsOf(stackDir)).toEqual([]);
    for (const port of Object.values(PORTS)) expect(await portIsFree(port)).toBe(true);

    const stopped = await stackCli(['status'], env);
    expect(stopped.code).toBe(1);
    expect(stopped.output).toContain('Kafka is stopped.');
    expect(stopped.output).toContain('Cassandra is stopped.');

    // Down with nothing running succeeds.
    const downAgain = await stackCli(['down'], env);
    expect(downAgain.code).toBe(0);
    expect(downAgain.output).toContain('Kafka is not running.');
  });
});
