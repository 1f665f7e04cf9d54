import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { waitFor } from '@userstream/core';
import { freePort, type AppProcess } from '@userstream/tools/testing';
import { accounting, type Accounting } from '@userstream/tools/testing/accounting';

export { accounting, type Accounting };

// Crash tests kill servers with SIGKILL, so they run on a stack of their own
// (own folder, own ports): the dev stack the other tests use is never touched.
// What survived is read back by clients that are not ours (tools/testing/accounting.py:
// kcat, kafka-python, the DataStax Python driver).

const repoRoot = join(__dirname, '..', '..', '..', '..');
const run = promisify(execFile);

/** The token the apps under test require (service-to-service auth). */
export const SERVICE_TOKEN = 'crash-test-service-token-0123456789abcdef';
const auth = { authorization: `Bearer ${SERVICE_TOKEN}` };

export type Server = 'kafka' | 'cassandra';

/** A single-node Kafka + Cassandra in a temporary folder, on free ports, started with the stack CLI. */
export class CrashStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'userstream-crash-'));
  private ports?: Record<string, string>;

  /** The variables that point the stack CLI, and the apps, at this stack. */
  get env(): Record<string, string> {
    if (!this.ports) throw new Error('CrashStack.up() first');
    return { USERSTREAM_STACK_DIR: this.dir, ...this.ports };
  }

  get brokers(): string {
    return `127.0.0.1:${this.env.KAFKA_PORT}`;
  }

  get contactPoints(): string {
    return `127.0.0.1:${this.env.CASSANDRA_PORT}`;
  }

  /** What the apps need to use this stack. */
  get appEnv(): Record<string, string> {
    return { KAFKA_BROKERS: this.brokers, CASSANDRA_CONTACT_POINTS: this.contactPoints, CASSANDRA_LOCAL_DC: 'datacenter1', SERVICE_TOKEN };
  }

  async up(): Promise<void> {
    const [kafka, controller, cql, storage] = [await freePort(), await freePort(), await freePort(), await freePort()];
    this.ports = { KAFKA_PORT: String(kafka), KAFKA_CONTROLLER_PORT: String(controller), CASSANDRA_PORT: String(cql), CASSANDRA_STORAGE_PORT: String(storage) };
    await this.cli('up');
  }

  /** Stops everything and removes the folder (data included). */
  async down(): Promise<void> {
    // Thrown away: SIGKILL (a clean stop only spends seconds flushing what is deleted next).
    if (this.ports) for (const server of ['kafka', 'cassandra'] as const) await this.cli('kill', server).catch(() => undefined);
    if (this.ports) await this.cli('down').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Starts one server again (after a kill), or both, unless running, and waits until it answers. */
  start(server: Server | 'both'): Promise<void> {
    return server === 'both' ? this.cli('up') : this.cli('up', server);
  }

  /** SIGKILL of the server's JVM: no flush, no clean shutdown. Resolves once the process is gone. */
  async kill(server: Server): Promise<number> {
    const pid = await this.pid(server);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => (isAlive(pid) ? undefined : true), { timeoutMs: 10_000, intervalMs: 50, description: `${server} (pid ${pid}) to die` });
    return pid;
  }

  async pid(server: Server): Promise<number> {
    const { stdout } = await run(process.execPath, [join(repoRoot, 'tools', 'stack', 'stack.mjs'), 'status', '--json'], {
      env: { ...process.env, ...this.env },
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }));
    const pid = (JSON.parse(stdout) as { servers?: Record<string, { pid?: number }> }).servers?.[server]?.pid;
    if (!pid) throw new Error(`${server} of the crash stack is not running`);
    return pid;
  }

  private async cli(...args: string[]): Promise<void> {
    await run(process.execPath, [join(repoRoot, 'tools', 'stack', 'stack.mjs'), ...args], { env: { ...process.env, ...this.env }, timeout: 300_000 });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The partitions of `topic` assigned to each live member of the group, as the group coordinator says. */
export async function groupAssignment(brokers: string, topic: string, group: string): Promise<number[][]> {
  const admin = new Kafka({ brokers: [brokers], clientId: 'crash-test-group', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    if (groups[0]?.state !== 'Stable') return [];
    return groups[0].members.map((member) => {
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      return [...(assignment?.assignment[topic] ?? [])].sort((a, b) => a - b);
    });
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offset per partition of `topic` (-1 when none). */
export async function committedOffsets(brokers: string, topic: string, group: string): Promise<Map<number, number>> {
  const admin = new Kafka({ brokers: [brokers], clientId: 'crash-test-offsets', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Records after the group's committed offsets (kafkajs's admin, only to know when to count). */
async function committedLag(brokers: string, topic: string, group: string): Promise<number> {
  const admin = new Kafka({ brokers: [brokers], clientId: 'crash-test-lag', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const at = new Map(committed.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    return ends.reduce((sum, p) => sum + Math.max(0, Number(p.high) - (at.get(p.partition) ?? 0)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group committed everything, then counts once with the independent clients. */
export async function settledAccounting(
  scenario: string,
  options: Parameters<typeof accounting>[1] & { group: string },
  timeoutMs = 600_000,
): Promise<Accounting> {
  let last = -1;
  await waitFor(
    async () => {
      last = await committedLag(options.brokers, options.topic, options.group).catch(() => -1);
      return last === 0 ? true : undefined;
    },
    { timeoutMs, intervalMs: 1000, description: `${scenario}: committed lag 0 (last ${last})` },
  );
  return accounting(scenario, options);
}

export async function api<T>(app: AppProcess, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${app.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** One label-less counter of an app's /metrics (0 when absent). */
export async function metric(app: AppProcess, name: string): Promise<number> {
  const res = await fetch(`${app.url}/metrics`, { headers: auth });
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(await res.text());
  return line ? Number(line[1]) : 0;
}

export interface RunStatus {
  id: string;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  counts: { fetched: number; valid: number; invalid: number; discarded: number; produced: number; acknowledged: number };
  waiting?: { for: 'kafka'; since: string; reason: string };
  error?: string;
}

export async function startRun(ingest: AppProcess, params: Record<string, unknown>): Promise<RunStatus> {
  const { status, body } = await api<RunStatus & { message?: string }>(ingest, '/runs', { method: 'POST', body: params });
  if (status !== 202) throw new Error(`POST /runs answered ${status}: ${body.message}`);
  return body;
}

export async function getRun(ingest: AppProcess, id: string): Promise<RunStatus> {
  return (await api<RunStatus>(ingest, `/runs/${id}`)).body;
}

export function runFinished(ingest: AppProcess, id: string, timeoutMs = 240_000): Promise<RunStatus> {
  return waitFor(
    async () => {
      const status = await getRun(ingest, id);
      return status.state === 'running' ? undefined : status;
    },
    { timeoutMs, intervalMs: 250, description: `ingest run ${id} to finish` },
  );
}

/** Waits until the app's /health/ready answers `status`; returns the body. */
export function readiness(app: AppProcess, status: number, timeoutMs = 60_000): Promise<string> {
  return waitFor(
    async () => {
      const res = await fetch(`${app.url}/health/ready`, { headers: auth });
      const body = await res.text();
      return res.status === status ? body : undefined;
    },
    { timeoutMs, intervalMs: 250, description: `${app.url}/health/ready to answer ${status}` },
  );
}

/** Waits until the processor reports at least `n` records written. */
export function writtenAtLeast(processor: AppProcess, n: number, timeoutMs = 120_000): Promise<number> {
  return waitFor(
    async () => {
      const written = await metric(processor, 'userstream_processor_records_written_total').catch(() => 0);
      return written >= n ? written : undefined;
    },
    { timeoutMs, intervalMs: 100, description: `${n} records written` },
  );
}
