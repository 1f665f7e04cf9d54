import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  INGEST_PATHS,
  InvalidRunParamsError,
  resolveRunParams,
  type RunDeployment,
  type RunOffsets,
  type RunParams,
  type RunStatus,
} from '@userstream/ingest-contract';

/** How a fake ingest run behaves. */
export interface FakeRunPlan {
  /** `succeed` or `fail` after `durationMs`; `hang` stays running until cancelled. */
  outcome: 'succeed' | 'fail' | 'hang';
  /** Time until the run ends. Default 300 ms. */
  durationMs?: number;
  /** Records the run "produces". Default: params.records, else 100. */
  records?: number;
  /** The failure reason for `fail`. */
  error?: string;
  /** Offsets to report; default: offsets counted per partition of `topic`. */
  offsets?: RunOffsets;
  /** A wait for Kafka the status reports (`waiting`) from `afterMs` for `forMs` after the run started. */
  kafkaWait?: { afterMs: number; forMs: number; reason: string };
  /** Problems the run met and retried, reported (`errors`) while it runs. */
  problems?: RunStatus['errors'];
}

interface FakeRun {
  status: RunStatus;
  plan: FakeRunPlan;
  startedMs: number;
}

/**
 * A small HTTP server speaking the ingest app's run API (POST /runs,
 * GET /runs/:id, DELETE /runs/:id, /health/ready, /metrics) for the
 * orchestrator's tests. Runs progress with real time: counts grow while
 * running, and the final state arrives after `durationMs`. It checks a
 * `POST /runs` body with ingest's own validator against {@link FakeIngest.deployment}.
 */
export class FakeIngest {
  /** Every request, in order. */
  readonly requests: Array<{ method: string; path: string; body?: unknown }> = [];
  readonly runs = new Map<string, FakeRun>();
  /** Decides how each new run behaves; `index` counts runs from 0. */
  plan: (params: RunParams, index: number) => FakeRunPlan = () => ({ outcome: 'succeed' });
  /** The configuration the fake ingest resolves runs with (no Schema Registry: `confluent` is refused). */
  deployment: RunDeployment = { encoding: 'avro', pageSize: 5000, schemaRegistry: false };
  ready = true;
  topic = 'users_created';
  partitions = 2;
  private readonly nextOffset = new Map<number, number>();
  private server?: Server;
  private counter = 0;
  url = '';

  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The requests of one kind, e.g. `calls('DELETE')`. */
  calls(method: string): Array<{ method: string; path: string; body?: unknown }> {
    return this.requests.filter((r) => r.method === method);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return send(res, 400, { error: 'invalid_json', message: 'body is not JSON' });
    }
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, ...(body !== undefined ? { body } : {}) });

    if (path === '/health/ready') return send(res, this.ready ? 200 : 503, { status: this.ready ? 'ok' : 'error', checks: {} });
    if (path === '/health/live') return send(res, 200, { status: 'ok', app: 'ingest' });
    if (path === '/metrics') {
      res.setHeader('content-type', 'text/plain');
      res.end(`# TYPE userstream_ingest_runs_total counter\nuserstream_ingest_runs_total ${this.runs.size}\n`);
      return;
    }
    if (path === INGEST_PATHS.runs && method === 'POST') return this.create(res, body);
    const match = /^\/runs\/([^/]+)$/.exec(path);
    if (match) {
      const run = this.runs.get(decodeURIComponent(match[1]));
      if (!run) return send(res, 404, { error: 'not_found', message: `no run ${match[1]}` });
      if (method === 'GET') return send(res, 200, this.advance(run));
      if (method === 'DELETE') {
        this.advance(run);
        if (run.status.state === 'running') {
          run.status.state = 'cancelled';
          run.status.endedAt = new Date().toISOString();
        }
        return send(res, 200, run.status);
      }
    }
    send(res, 404, { error: 'not_found', message: `${method} ${path}` });
  }

  private create(res: ServerResponse, body: unknown): void {
    let params: RunParams;
    try {
      params = resolveRunParams(body, this.deployment);
    } catch (error) {
      if (error instanceof InvalidRunParamsError) return send(res, 400, { error: 'Bad Request', message: error.message });
      throw error;
    }
    const index = this.counter++;
    const id = `fake-${index + 1}-${Date.now().toString(36)}`;
    const status: RunStatus = {
      id,
      state: 'running',
      params,
      startedAt: new Date().toISOString(),
      counts: { pagesFetched: 0, fetched: 0, valid: 0, invalid: 0, discarded: 0, produced: 0, acknowledged: 0 },
      cursor: { seed: params.seed, startPage: params.startPage, nextPage: params.startPage },
      errors: [],
    };
    const run = { status, plan: this.plan(params, index), startedMs: Date.now() };
    this.runs.set(id, run);
    send(res, 202, status);
  }

  /** Moves a run along with the clock: partial counts while running, final state after its duration. */
  private advance(run: FakeRun): RunStatus {
    const { status, plan } = run;
    if (status.state !== 'running') return status;
    const total = plan.records ?? status.params.records ?? 100;
    const durationMs = plan.durationMs ?? 300;
    const elapsed = Date.now() - run.startedMs;
    const done = plan.outcome !== 'hang' && elapsed >= durationMs;
    const produced = done ? total : Math.min(total, Math.floor((total * elapsed) / Math.max(1, durationMs)));
    const pages = Math.ceil(produced / 50);
    status.counts = { pagesFetched: pages, fetched: produced + 1, valid: produced, invalid: 1, discarded: 0, produced, acknowledged: produced };
    status.cursor = { ...status.cursor, nextPage: status.cursor.startPage + pages };
    if (plan.problems) status.errors = plan.problems;
    const wait = plan.kafkaWait;
    if (wait && !done && elapsed >= wait.afterMs && elapsed < wait.afterMs + wait.forMs) {
      status.waiting = { for: 'kafka', since: new Date(run.startedMs + wait.afterMs).toISOString(), reason: wait.reason };
    } else delete status.waiting;
    if (!done) return status;
    status.endedAt = new Date().toISOString();
    if (plan.outcome === 'fail') {
      status.state = 'failed';
      status.error = plan.error ?? 'randomuser API kept failing: HTTP 503';
      status.errors = [{ code: 'API_UNAVAILABLE', message: 'HTTP 503', count: 7 }];
      return status;
    }
    status.state = 'succeeded';
    status.offsets = plan.offsets ?? this.allocateOffsets(produced);
    return status;
  }

  private allocateOffsets(records: number): RunOffsets {
    const partitions: RunOffsets['partitions'] = [];
    for (let p = 0; p < this.partitions; p++) {
      const count = Math.floor(records / this.partitions) + (p < records % this.partitions ? 1 : 0);
      if (count === 0) continue;
      const first = this.nextOffset.get(p) ?? 0;
      this.nextOffset.set(p, first + count);
      partitions.push({ partition: p, first, last: first + count - 1 });
    }
    return { topic: this.topic, partitions };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
