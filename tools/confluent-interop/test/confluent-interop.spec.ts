// Confluent interop proven by Confluent's own client (Debian's
// python3-confluent-kafka: SchemaRegistryClient, AvroSerializer,
// AvroDeserializer), against the stand-in registry and the real Kafka:
// - its REST calls get the answers and error codes the registry documents;
// - records it serializes and produces are decoded by our codec;
// - records ingest produces in `confluent` encoding are deserialized by it, field for field.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from '@userstream/core';
import { generatePage, startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { fromRandomUser, UserCodec, type UserRecordV2 } from '@userstream/user-schema';
import { startSchemaRegistry, type SchemaRegistryStandIn } from '@userstream/tools/schema-registry';

jest.setTimeout(120_000);

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', 'confluent_interop.py');
const ROOT = join(__dirname, '..', '..', '..');
const V2_AVSC = join(ROOT, 'libs', 'user-schema', 'schemas', 'user.v2.avsc');
const INGEST_CLI = join(ROOT, 'apps', 'ingest', 'dist', 'cli.js');
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());

/** Runs the Python side (asynchronously: the stand-in registry answers it from this process). */
function python(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`python3 ${args[0]} failed (${code}):\n${stderr}`))));
  });
}

// Missing modules are an environment problem: say which, and how to get them, instead of a stack trace.
beforeAll(() => {
  const probe = spawnSync(PYTHON, ['-c', 'import confluent_kafka.schema_registry.avro, fastavro, requests'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `this test needs python3-confluent-kafka, python3-requests and fastavro for ${PYTHON}:\n` +
        '  apt-get install -y python3-confluent-kafka python3-requests && /usr/bin/python3 -m pip install --break-system-packages fastavro\n' +
        probe.stderr,
    );
  }
});

describe("Confluent's Python client against the Schema Registry stand-in", () => {
  let registry: SchemaRegistryStandIn;
  let mock: MockApi | undefined;
  let work: string;
  const topics: string[] = [];
  const topicName = (label: string) => {
    const topic = `sr_interop_${label}_${Date.now()}_${randomBytes(3).toString('hex')}`;
    topics.push(topic);
    return topic;
  };

  beforeAll(async () => {
    registry = await startSchemaRegistry({ port: 0 });
    work = mkdtempSync(join(tmpdir(), 'sr-interop-'));
  });

  afterAll(async () => {
    await registry.close();
    await mock?.close();
    rmSync(work, { recursive: true, force: true });
    const admin = new Kafka({ brokers, clientId: 'sr-interop-cleanup', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const ours = topics.filter((t) => existing.has(t));
      if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    } finally {
      await admin.disconnect();
    }
  });

  it("answers SchemaRegistryClient's calls as the registry documents, error codes included", async () => {
    registry.reset();
    const steps = (await python(['client', registry.url, V2_AVSC])) as Record<
      string,
      { ok?: unknown; error?: { http_status_code: number; error_code: number } }
    >;
    const error = (name: string) => steps[name]?.error && { status: steps[name].error?.http_status_code, code: steps[name].error?.error_code };
    expect(steps['subjects_empty']).toEqual({ ok: [] });
    expect(error('lookup_unknown_subject')).toEqual({ status: 404, code: 40401 });
    expect(error('schema_unknown_id')).toEqual({ status: 404, code: 40403 });
    expect(steps['register_v1']).toEqual({ ok: 1 });
    expect(steps['register_v1_again']).toEqual({ ok: 1 });
    expect(error('lookup_v2_not_registered')).toEqual({ status: 404, code: 40403 });
    expect(steps['compatible_v2']).toEqual({ ok: true });
    expect(steps['compatible_breaking']).toEqual({ ok: false });
    expect(steps['register_v2']).toEqual({ ok: 2 });
    expect(error('register_breaking')).toEqual({ status: 409, code: 409 });
    expect(error('register_invalid')).toEqual({ status: 422, code: 42201 });
    expect(steps['versions']).toEqual({ ok: [1, 2] });
    expect(steps['latest']).toMatchObject({ ok: { id: 2, subject: 'interop-value', version: 2 } });
    expect(steps['version_1']).toMatchObject({ ok: { id: 1, subject: 'interop-value', version: 1 } });
    expect(error('version_missing')).toEqual({ status: 404, code: 40402 });
    expect(steps['lookup_v1']).toMatchObject({ ok: { id: 1, version: 1 } });
    expect(steps['subjects']).toEqual({ ok: ['interop-value'] });
    expect(steps['global_compatibility']).toEqual({ ok: 'BACKWARD' });
    expect(steps['set_subject_compatibility']).toEqual({ ok: { compatibility: 'NONE' } });
    expect(steps['subject_compatibility']).toEqual({ ok: 'NONE' });
    expect(error('set_bad_compatibility')).toEqual({ status: 422, code: 42203 });
    expect(steps['register_breaking_with_none']).toEqual({ ok: 3 });
    expect(steps['delete_version_3']).toEqual({ ok: 3 });
    expect(steps['delete_subject']).toEqual({ ok: [1, 2] });
    expect(steps['subjects_after_delete']).toEqual({ ok: [] });
    expect(error('versions_after_delete')).toEqual({ status: 404, code: 40401 });
  });

  it('records AvroSerializer produces to Kafka are decoded by our codec, field for field', async () => {
    const topic = topicName('py2ts');
    const records = generatePage({ seed: 'sr-interop-py', page: 1, results: 50 }).results.map((u) => fromRandomUser(u, { ingestedAt: 1_700_000_000_123 }));
    const recordsFile = join(work, 'records.json');
    writeFileSync(recordsFile, JSON.stringify(records));
    const produced = (await python(['produce', registry.url, brokers.join(','), topic, V2_AVSC, recordsFile])) as { schema_id: number; produced: number };
    expect(produced.produced).toBe(records.length);
    expect((await fetch(`${registry.url}/subjects/${topic}-value/versions`).then((r) => r.json())) as number[]).toEqual([1]);

    // Our side: the codec resolves the id from the registry (as the user-schema README shows) and decodes.
    const codec = new UserCodec({
      resolveSchemaId: async (id) => ((await fetch(`${registry.url}/schemas/ids/${id}`).then((r) => r.json())) as { schema: string }).schema,
    });
    const values = await readValues(topic, records.length);
    const decoded = await Promise.all(values.map(async (v) => ({ key: v.key, ...(await codec.decodeAsync(v.value)) })));
    expect(decoded.map((d) => [d.encoding, d.schemaId])).toEqual(records.map(() => ['confluent', produced.schema_id]));
    expect(decoded.map((d) => d.key).sort()).toEqual(records.map((r) => r.id).sort());
    const byId = new Map(decoded.map((d) => [d.record.id, d.record]));
    for (const record of records) expect(byId.get(record.id)).toEqual(record);
  });

  it('records ingest produces in confluent encoding are deserialized by AvroDeserializer, field for field', async () => {
    const topic = topicName('ts2py');
    mock = await startMockApi({ port: 0 });
    const seed = 'sr-interop-ingest';
    const run = await runNode([INGEST_CLI, '--records', '120', '--seed', seed, '--page-size', '60', '--encoding', 'confluent', '--json'], {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: topic,
      RANDOMUSER_BASE_URL: mock.url,
      SCHEMA_REGISTRY_URL: registry.url,
      LOG_LEVEL: 'warn',
    });
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ state: 'succeeded', counts: { acknowledged: 120 } });

    const registered = (await fetch(`${registry.url}/subjects/${topic}-value/versions/latest`).then((r) => r.json())) as { id: number; schema: string };
    const consumed = (await python(['consume', registry.url, brokers.join(','), topic, '120'])) as Array<{
      key: string;
      schema_id: number;
      value: Record<string, unknown>;
    }>;
    expect(consumed).toHaveLength(120);
    expect(new Set(consumed.map((c) => c.schema_id))).toEqual(new Set([registered.id]));

    // Expected: the mock's users through the mapping; ingested_at is the fetch time, checked for plausibility.
    const users = [1, 2].flatMap((page) => generatePage({ seed, page, results: 60 }).results);
    const expected = new Map(
      users.map((u) => {
        const record = fromRandomUser(u, { ingestedAt: 0 });
        return [record.id, record];
      }),
    );
    for (const { key, value } of consumed) {
      expect(value['id']).toBe(key);
      const want = expected.get(key) as UserRecordV2;
      expect(want).toBeDefined();
      expect(Object.keys(value).sort()).toEqual(Object.keys(want).sort());
      expect(value['ingested_at']).toBeGreaterThan(Date.now() - 10 * 60_000);
      expect({ ...value, ingested_at: 0 }).toEqual(want);
    }
    expect(new Set(consumed.map((c) => c.key))).toEqual(new Set(expected.keys()));
  });
});

/** Runs node with `args` to its end (asynchronously: the registry and the mock answer it from this process). */
function runNode(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every value of a fresh topic, read with a plain kafkajs consumer of its own group. */
async function readValues(topic: string, count: number): Promise<Array<{ key: string; value: Buffer }>> {
  const consumer = new Kafka({ brokers, clientId: 'sr-interop', logLevel: logLevel.NOTHING }).consumer({
    groupId: `sr-interop-${randomBytes(4).toString('hex')}`,
    maxWaitTimeInMs: 100,
  });
  const out: Array<{ key: string; value: Buffer }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void out.push({ key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0) }) });
    await waitFor(() => out.length >= count || undefined, { timeoutMs: 30_000, description: `${count} records on ${topic} (have ${out.length})` });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
