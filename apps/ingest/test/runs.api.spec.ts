import { generatePage, startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { SERVICE_AUTH, type AppProcess } from '@userstream/tools/testing';
import { waitFor } from '@userstream/core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserCodec, userSchemaV2Json } from '@userstream/user-schema';
import type { RunStatus } from '@userstream/ingest-contract';
import { deleteTopics, getRun, postRun, readTopic, startIngest, testEnv, topicSize, uniqueTopic, waitForEnd } from './support/integration';

jest.setTimeout(90_000);

function ids(seed: string, pages: Array<[page: number, size: number]>): string[] {
  return pages.flatMap(([page, results]) => generatePage({ seed, page, results }).results.map((u) => (u.login as { uuid: string }).uuid));
}

/** A minimal Confluent Schema Registry: every subject is new, every schema gets id 42. */
async function startFakeRegistry(): Promise<{ url: string; registered: Array<{ subject: string; schema: string }>; server: Server }> {
  const registered: Array<{ subject: string; schema: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(payload));
      };
      const url = req.url ?? '';
      const subject = decodeURIComponent(url.split('/')[2] ?? '');
      if (req.method === 'GET' && url.startsWith('/config/'))
        return send(404, { error_code: 40408, message: 'Subject does not have subject-level compatibility configured' });
      if (req.method === 'PUT' && url.startsWith('/config/')) return send(200, { compatibility: 'BACKWARD' });
      if (req.method === 'POST' && url.startsWith('/subjects/') && url.endsWith('/versions')) {
        registered.push({ subject, schema: (JSON.parse(body) as { schema: string }).schema });
        return send(200, { id: 42 });
      }
      send(404, { error_code: 404, message: `not imitated: ${req.method} ${url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, registered, server };
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

describe('ingest run API on Kafka with the mock API', () => {
  let api: MockApi | undefined;
  let app: AppProcess | undefined;
  const topics: string[] = [];

  async function start(label: string, faults = {}, extraEnv: Record<string, string> = {}): Promise<{ topic: string; app: AppProcess; api: MockApi }> {
    const topic = uniqueTopic(label);
    topics.push(topic);
    api = await startMockApi({ port: 0, faults });
    app = await startIngest(testEnv(topic, api.url, extraEnv));
    return { topic, app, api };
  }

  afterEach(async () => {
    const stopped = await app?.stop('SIGTERM');
    await api?.close();
    app = undefined;
    api = undefined;
    expect(stopped?.code ?? 0).toBe(0);
  });

  afterAll(async () => {
    await deleteTopics(topics);
  });

  it('ingests 5000 users: every acknowledged record is on the topic with its key, headers and a decodable value', async () => {
    const { topic, app } = await start('basic');
    const posted = await postRun(app, { records: 5000, seed: 'integration', pageSize: 5000 });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ state: 'running', params: { records: 5000, seed: 'integration', encoding: 'avro', startPage: 1, pageSize: 5000 } });
    const id = posted.body['id'] as string;

    const status = await waitForEnd(app, id);
    expect(status).toMatchObject({
      state: 'succeeded',
      counts: { pagesFetched: 1, fetched: 5000, valid: 5000, invalid: 0, discarded: 0, produced: 5000, acknowledged: 5000 },
    });
    expect(status.cursor).toEqual({ seed: 'integration', startPage: 1, nextPage: 2 });
    expect(status.errors).toEqual([]);
    expect(status.offsets?.topic).toBe(topic);
    expect(status.offsets?.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    expect(status.offsets?.partitions.reduce((sum, p) => sum + p.last - p.first + 1, 0)).toBe(5000);

    expect(await topicSize(topic)).toBe(5000);
    const messages = await readTopic(topic, 5000);
    expect(messages).toHaveLength(5000);
    const expected = generatePage({ seed: 'integration', page: 1, results: 5000 }).results;
    expect(sorted(messages.map((m) => m.key))).toEqual(sorted(expected.map((u) => (u.login as { uuid: string }).uuid)));
    for (const m of messages) {
      const range = status.offsets?.partitions.find((p) => p.partition === m.partition);
      expect(Number(m.offset)).toBeGreaterThanOrEqual(range?.first ?? Infinity);
      expect(Number(m.offset)).toBeLessThanOrEqual(range?.last ?? -1);
    }
    expect(messages[0].headers).toEqual({
      'content-type': 'application/avro',
      'userstream-encoding': 'avro',
      'userstream-schema': 'io.userstream.User/v2',
      'userstream-run-id': id,
    });
    expect(messages.every((m) => m.headers['userstream-run-id'] === id)).toBe(true);
    const codec = new UserCodec();
    const byId = new Map(expected.map((u) => [(u.login as { uuid: string }).uuid, u]));
    for (const m of messages) {
      const { record, encoding } = codec.decode(m.value);
      expect(encoding).toBe('avro');
      expect(record.id).toBe(m.key);
      expect(record.email).toBe(byId.get(m.key)?.email);
      expect(record.ingested_at).toBeGreaterThan(Date.parse(status.startedAt) - 1);
    }

    const list = (await (await fetch(`${app.url}/runs`, { headers: SERVICE_AUTH })).json()) as { runs: RunStatus[] };
    expect(list.runs.map((r) => r.id)).toEqual([id]);
    const ready = await fetch(`${app.url}/health/ready`, { headers: SERVICE_AUTH });
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${app.url}/metrics`, { headers: SERVICE_AUTH })).text();
    expect(metrics).toContain('userstream_ingest_records_fetched_total 5000');
    expect(metrics).toContain('userstream_ingest_records_acknowledged_total 5000');
    expect(metrics).toContain('userstream_ingest_api_requests_total{status="200"} 1');
    expect(metrics).toContain('userstream_ingest_runs_total{state="succeeded"} 1');
    expect(metrics).toContain('userstream_ingest_active_runs 0');
    expect(metrics).toMatch(/userstream_ingest_api_request_duration_seconds_count 1\b/);
  });

  it('with 5% broken records and 10% 429/5xx answers: succeeds, counts the invalid ones exactly, produces every valid user', async () => {
    const faults = { faultSeed: 'ingest-faults', badRecords: 0.05, rate429: 0.05, rate5xx: 0.05, retryAfterSeconds: 0 };
    const { topic, app, api } = await start('faults', faults);
    const posted = await postRun(app, { records: 5000, seed: 'faulty', pageSize: 250 });
    expect(posted.status).toBe(202);
    const status = await waitForEnd(app, posted.body['id'] as string);

    const stats = api.stats();
    expect((stats.byStatus['429'] ?? 0) + (stats.byStatus['500'] ?? 0) + (stats.byStatus['502'] ?? 0) + (stats.byStatus['503'] ?? 0)).toBeGreaterThan(0);
    expect(stats.invalidUsers.length).toBeGreaterThan(100);
    expect(status.state).toBe('succeeded');
    expect(status.counts.fetched).toBe(5000);
    expect(status.counts.invalid).toBe(stats.invalidUsers.length);
    expect(status.counts.invalid).toBe(stats.invalidUsersServed);
    expect(status.counts.valid).toBe(5000 - stats.invalidUsers.length);
    expect(status.counts.acknowledged).toBe(status.counts.valid);
    expect(status.errors.filter((e) => e.code === 'RECORD_INVALID').reduce((sum, e) => sum + e.count, 0)).toBe(stats.invalidUsers.length);

    const broken = new Set(stats.invalidUsers.map((u) => u.uuid));
    const pages: Array<[number, number]> = Array.from({ length: 20 }, (_, i) => [i + 1, 250]);
    const expected = ids('faulty', pages).filter((id) => !broken.has(id));
    const messages = await readTopic(topic, expected.length);
    expect(await topicSize(topic)).toBe(expected.length);
    expect(sorted(messages.map((m) => m.key))).toEqual(sorted(expected));

    const metrics = await (await fetch(`${app.url}/metrics`, { headers: SERVICE_AUTH })).text();
    expect(metrics).toMatch(/userstream_ingest_api_retries_total [1-9]/);
    expect(metrics).toContain(`userstream_ingest_records_invalid_total ${stats.invalidUsers.length}`);
  });

  it('replays: the same seed and start page give the same users', async () => {
    const { topic, app } = await start('replay');
    const body = { records: 1200, seed: 'replay-me', startPage: 3, pageSize: 500, encoding: 'json' };
    const first = await waitForEnd(app, (await postRun(app, body)).body['id'] as string);
    const second = await waitForEnd(app, (await postRun(app, body)).body['id'] as string);
    expect(first.state).toBe('succeeded');
    expect(second.state).toBe('succeeded');
    expect(first.cursor).toEqual({ seed: 'replay-me', startPage: 3, nextPage: 6 });
    expect(second.cursor).toEqual(first.cursor);

    const messages = await readTopic(topic, 2400);
    const keysOf = (runId: string) => sorted(messages.filter((m) => m.headers['userstream-run-id'] === runId).map((m) => m.key));
    const expected = sorted(
      ids('replay-me', [
        [3, 500],
        [4, 500],
        [5, 200],
      ]),
    );
    expect(keysOf(first.id)).toEqual(expected);
    expect(keysOf(second.id)).toEqual(expected);
    const value = JSON.parse(messages[0].value.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(
      ['id', 'first_name', 'last_name', 'gender', 'address', 'postcode', 'email', 'username', 'dob', 'registered_date', 'phone', 'picture'].sort(),
    );
  });

  it('with SCHEMA_REGISTRY_URL registers the v2 schema and writes the Confluent wire format with its id by default', async () => {
    const registry = await startFakeRegistry();
    try {
      const { topic, app } = await start('registry', {}, { SCHEMA_REGISTRY_URL: registry.url });
      const posted = await postRun(app, { records: 300, seed: 'registry' });
      expect(posted.body).toMatchObject({ params: { encoding: 'confluent' } });
      const status = await waitForEnd(app, posted.body['id'] as string);
      expect(status).toMatchObject({ state: 'succeeded', counts: { acknowledged: 300 } });
      expect(registry.registered).toEqual([{ subject: `${topic}-value`, schema: JSON.stringify(userSchemaV2Json) }]);

      const messages = await readTopic(topic, 300);
      const codec = new UserCodec();
      codec.registerSchemaId(42, userSchemaV2Json);
      for (const m of messages) {
        expect(m.value[0]).toBe(0);
        expect(m.value.readUInt32BE(1)).toBe(42);
        expect(m.headers['userstream-schema']).toBe('io.userstream.User/v2;registry-id=42');
        const { record, encoding } = codec.decode(m.value);
        expect(encoding).toBe('confluent');
        expect(record.id).toBe(m.key);
      }
      expect(sorted(messages.map((m) => m.key))).toEqual(sorted(ids('registry', [[1, 300]])));
    } finally {
      await new Promise((resolve) => registry.server.close(resolve));
    }
  });

  it('answers 400 naming the parameter, and 404 for an unknown run', async () => {
    const { app } = await start('badparams');
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^records or durationSeconds is required/],
      [{ records: 0 }, /^records must be an integer from 1 to 10000000/],
      [{ durationSeconds: -5 }, /^durationSeconds must be a number greater than 0/],
      [{ records: 10, rate: 0 }, /^rate must be a number of records per second from 0.001 to 1000000/],
      [{ records: 10, encoding: 'xml' }, /^encoding must be one of avro, confluent, json/],
      [{ records: 10, nat: 'zz' }, /^nat: unknown nationality "ZZ"/],
      [{ records: 10, pageSize: 9000 }, /^pageSize must be an integer from 1 to 5000/],
      [{ records: 10, startPage: 0 }, /^startPage must be an integer from 1 to 10000/],
      [{ records: 10, verbose: true }, /^unknown parameter "verbose"/],
      [{ records: 10, encoding: 'confluent' }, /^encoding confluent needs a Schema Registry/],
    ];
    for (const [body, message] of cases) {
      const res = await postRun(app, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body).toEqual({ error: 'Bad Request', message: expect.stringMatching(message) });
    }
    const missing = await fetch(`${app.url}/runs/00000000-0000-0000-0000-000000000000`, { headers: SERVICE_AUTH });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'Not Found' });
    const list = (await (await fetch(`${app.url}/runs`, { headers: SERVICE_AUTH })).json()) as { runs: RunStatus[] };
    expect(list.runs).toEqual([]);
  });

  it('cancels a long run on DELETE: state cancelled, everything acknowledged is on the topic', async () => {
    const { topic, app } = await start('cancel');
    const posted = await postRun(app, { durationSeconds: 3600, rate: 2000, pageSize: 1000 });
    const id = posted.body['id'] as string;
    await waitFor(async () => (await getRun(app, id)).counts.acknowledged >= 1000 || undefined, { timeoutMs: 30_000, description: 'records acknowledged' });

    const res = await fetch(`${app.url}/runs/${id}`, { method: 'DELETE', headers: SERVICE_AUTH });
    expect(res.status).toBe(200);
    const status = (await res.json()) as RunStatus;
    expect(status).toMatchObject({ id, state: 'cancelled', error: 'cancelled by request' });
    expect(status.counts.acknowledged).toBe(status.counts.produced);
    expect(status.cursor.nextPage).toBeGreaterThan(1);
    expect(await topicSize(topic)).toBe(status.counts.acknowledged);
    expect(await getRun(app, id)).toEqual(status);
  });

  it('on SIGTERM cancels the active run, flushes and exits 0', async () => {
    const { topic, app: running } = await start('sigterm', {}, { LOG_LEVEL: 'info' });
    const id = (await postRun(running, { durationSeconds: 3600, rate: 2000, pageSize: 1000 })).body['id'] as string;
    await waitFor(async () => (await getRun(running, id)).counts.produced >= 1000 || undefined, { timeoutMs: 30_000, description: 'records produced' });
    app = undefined;
    const exit = await running.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });

    const finished = running
      .output()
      .split('\n')
      .filter((line) => line.includes('"run finished"'))
      .map((line) => JSON.parse(line) as { runId: string; state: string; error: string; counts: { produced: number; acknowledged: number } });
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ runId: id, state: 'cancelled', error: 'cancelled: ingest is shutting down' });
    expect(finished[0].counts.acknowledged).toBe(finished[0].counts.produced);
    expect(await topicSize(topic)).toBe(finished[0].counts.acknowledged);
  });
});
