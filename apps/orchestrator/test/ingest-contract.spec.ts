import { join } from 'node:path';
import { startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { SERVICE_AUTH, startAppProcess, TEST_SERVICE_TOKEN, type AppProcess } from '@userstream/tools/testing';
import { INGEST_PATHS, type RunStatus } from '@userstream/ingest-contract';
import { IngestClient, IngestError, IngestRejectedError } from '../src/ingest/ingest.client';
import { resolveIngestParams } from '../src/jobs/ingest-params';
import { ParamsError } from '../src/jobs/job.definition';
import { KAFKA_BROKERS, uniqueName } from './support/orchestrator.process';

// The orchestrator accepts exactly what ingest accepts: each body below goes
// through the orchestrator's trigger check (API and dashboard form) and through
// the real ingest app's POST /runs. Ingest runs with one run slot, held by a
// long run, so a body that passes its validation gets 429 (runs limit) and
// starts nothing, and a refused one gets 400 with ingest's message.

const INGEST_ENTRY = join(__dirname, '..', '..', 'ingest', 'dist', 'main.js');

const long = 'x'.repeat(129);
const SHARED_CASES: Array<[name: string, body: unknown]> = [
  ['records only', { records: 10 }],
  ['duration only', { durationSeconds: 0.5 }],
  ['every parameter', { records: 100, durationSeconds: 60, rate: 12.5, seed: 'abc-1.x_Y', nat: ' gb, us,GB ', encoding: 'json', startPage: 7, pageSize: 50 }],
  ['the largest run', { records: 10_000_000, durationSeconds: 86_400, rate: 1_000_000, pageSize: 5000, startPage: 8001 }],
  ['the slowest rate', { durationSeconds: 1, rate: 0.001 }],
  ['a 128-character seed', { records: 1, seed: 'a'.repeat(128) }],
  ['no bound', { rate: 5 }],
  ['an empty body', {}],
  ['records 0', { records: 0 }],
  ['records fractional', { records: 1.5 }],
  ['records as text', { records: '100' }],
  ['records past the limit', { records: 10_000_001 }],
  ['durationSeconds 0', { durationSeconds: 0 }],
  ['durationSeconds over a day', { durationSeconds: 86_401 }],
  ['rate 0', { records: 1, rate: 0 }],
  ['rate below the floor', { records: 1, rate: 0.0009 }],
  ['rate above the cap', { records: 1, rate: 1_000_001 }],
  ['rate as text', { records: 1, rate: '5' }],
  ['seed empty', { records: 1, seed: '' }],
  ['seed of 129 characters', { records: 1, seed: long }],
  ['seed with a space', { records: 1, seed: 'a b' }],
  ['seed with markup', { records: 1, seed: '<img src=x onerror=alert(1)>' }],
  ['seed with a newline', { records: 1, seed: 'a\nb' }],
  ['seed not a string', { records: 1, seed: 42 }],
  ['nat unknown', { records: 1, nat: 'gb,zz' }],
  ['nat empty', { records: 1, nat: ' , ' }],
  ['nat as a list', { records: 1, nat: ['gb'] }],
  ['encoding unknown', { records: 1, encoding: 'xml' }],
  ['startPage 0', { records: 1, startPage: 0 }],
  ['startPage past the last page', { records: 1, startPage: 10_001 }],
  ['pageSize too large', { records: 1, pageSize: 5001 }],
  ['records past the last page with an explicit pageSize', { records: 3000, pageSize: 1, startPage: 8000 }],
  ['an unknown parameter', { records: 1, verbose: true }],
  ['an inherited name', { records: 1, hasOwnProperty: 1 }],
  ['a __proto__ key', JSON.parse('{"records": 1, "__proto__": {"records": 5}}')],
];

// What the orchestrator cannot know: ingest's configuration (here no Schema
// Registry, and its default page size of 5000). It sends these, and ingest's
// 400 fails the try at once (IngestRejectedError, never retried).
const DEPLOYMENT_CASES: Array<[name: string, body: unknown]> = [
  ['confluent without a registry', { records: 1, encoding: 'confluent' }],
  ['records past the last page with the default page size', { records: 10_000, startPage: 10_000 }],
];

type Verdict = { accepted: true } | { accepted: false; message: string };

describe('the ingest run contract, through both apps', () => {
  let mock: MockApi;
  let ingest: AppProcess;
  let held: RunStatus;

  async function post(body: unknown): Promise<{ status: number; body: { message?: string } }> {
    const res = await fetch(`${ingest.url}${INGEST_PATHS.runs}`, {
      method: 'POST',
      headers: { ...SERVICE_AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { message?: string } };
  }

  async function ingestVerdict(body: unknown): Promise<Verdict> {
    const res = await post(body);
    if (res.status === 429) return { accepted: true };
    expect({ body, status: res.status }).toEqual({ body, status: 400 });
    return { accepted: false, message: res.body.message ?? '' };
  }

  function orchestratorVerdict(body: unknown): Verdict {
    try {
      resolveIngestParams(body, {});
      return { accepted: true };
    } catch (error) {
      expect(error).toBeInstanceOf(ParamsError);
      return { accepted: false, message: (error as Error).message.replace(/^params: /, '') };
    }
  }

  beforeAll(async () => {
    mock = await startMockApi();
    ingest = await startAppProcess(INGEST_ENTRY, {
      env: {
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS,
        KAFKA_TOPIC: uniqueName('orch_contract'),
        RANDOMUSER_BASE_URL: mock.url,
        INGEST_MAX_ACTIVE_RUNS: '1',
        SERVICE_TOKEN: TEST_SERVICE_TOKEN,
      },
      timeoutMs: 60_000,
    });
    const res = await post({ durationSeconds: 86_400, rate: 0.001, seed: 'contract-hold' });
    expect(res.status).toBe(202);
    held = res.body as unknown as RunStatus;
  }, 90_000);

  afterAll(async () => {
    if (held) await fetch(`${ingest.url}${INGEST_PATHS.run(held.id)}`, { method: 'DELETE', headers: SERVICE_AUTH }).catch(() => undefined);
    await ingest?.stop();
    await mock?.close();
  }, 60_000);

  it('accepts and refuses the same bodies, for the same reason', async () => {
    const differences: Array<{ name: string; ingest: Verdict; orchestrator: Verdict }> = [];
    for (const [name, body] of SHARED_CASES) {
      const [fromIngest, fromOrchestrator] = [await ingestVerdict(body), orchestratorVerdict(body)];
      if (JSON.stringify(fromIngest) !== JSON.stringify(fromOrchestrator)) differences.push({ name, ingest: fromIngest, orchestrator: fromOrchestrator });
    }
    expect(differences).toEqual([]);
    // Both sides really refuse things: the table is not all "accepted".
    expect(SHARED_CASES.filter(([, body]) => !orchestratorVerdict(body).accepted).length).toBeGreaterThan(25);
  }, 60_000);

  it('leaves the deployment-dependent rules to ingest, whose 400 the client turns into a permanent failure', async () => {
    const client = new IngestClient({ baseUrl: ingest.url, timeoutMs: 10_000, serviceToken: TEST_SERVICE_TOKEN });
    for (const [, body] of DEPLOYMENT_CASES) {
      expect(orchestratorVerdict(body)).toEqual({ accepted: true });
      const error = await client.startRun(resolveIngestParams(body, {})).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IngestRejectedError);
    }
    // A body ingest accepts meets the run slot held by the long run: 429, retriable.
    const busy = await client.startRun({ records: 1 }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(IngestError);
    expect(busy).toMatchObject({ retriable: true, details: { status: 429 } });
  }, 60_000);
});
