import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HealthChecks } from './health';
import { createOpsHandler } from './ops-handler';

describe('createOpsHandler', () => {
  let server: Server;
  let url: string;
  let cassandraUp = true;

  beforeAll(async () => {
    const health = new HealthChecks(200)
      .register('kafka', async () => undefined)
      .register('cassandra', async () => {
        if (!cassandraUp) throw new Error('connection refused');
      });
    const handler = createOpsHandler({
      health,
      metrics: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'records_total 3\n' },
      info: { app: 'test' },
    });
    server = createServer((req, res) => handler(req, res, () => res.writeHead(404).end('not ours')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('serves liveness with the app info', async () => {
    const res = await fetch(`${url}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', app: 'test' });
  });

  it('reports readiness per dependency and 503 when one fails', async () => {
    cassandraUp = true;
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    cassandraUp = false;
    const res = await fetch(`${url}/health/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'error',
      checks: { kafka: { ok: true }, cassandra: { ok: false, error: 'connection refused' } },
    });
  });

  it('serves Prometheus text and passes other paths on', async () => {
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toBe('records_total 3\n');
    expect((await fetch(`${url}/runs`)).status).toBe(404);
  });
});
