import { join } from 'node:path';
import { freePort, SERVICE_AUTH, startAppProcess, TEST_SERVICE_TOKEN, type AppProcess } from '@userstream/tools/testing';

// Each test starts an app process: more than Jest's default 5 s on a busy machine.
jest.setTimeout(60_000);

const entry = join(__dirname, '..', 'dist', 'main.js');
const METRICS_TOKEN = 'metrics-token-for-the-processor-test';

describe('stream-processor service authentication', () => {
  let app: AppProcess;

  beforeAll(async () => {
    // Servers nobody listens on: readiness fails, which is all the routes need to answer.
    app = await startAppProcess(entry, {
      env: { LOG_LEVEL: 'warn', METRICS_TOKEN, KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, CASSANDRA_CONTACT_POINTS: `127.0.0.1:${await freePort()}` },
    });
  });
  afterAll(() => app?.stop('SIGTERM'));

  it('keeps liveness open and everything else behind the service or metrics token', async () => {
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    for (const path of ['/health/ready', '/metrics', '/anything']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status).toBe(401);
      // A stranger learns nothing about the servers behind the app.
      expect(await res.text()).not.toMatch(/127\.0\.0\.1:\d+/);
    }
    expect((await fetch(`${app.url}/metrics`, { headers: SERVICE_AUTH })).status).toBe(200);
    expect((await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${app.url}/health/ready`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(503);
    expect((await fetch(`${app.url}/anything`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(401);
    expect(app.output()).not.toContain(TEST_SERVICE_TOKEN);
  });

  it('refuses to start in production without SERVICE_TOKEN, naming it', async () => {
    const refused = await startAppProcess(entry, { env: { NODE_ENV: 'production', SERVICE_TOKEN: '' }, waitLive: false });
    expect((await refused.exited).code).toBe(1);
    expect(refused.output()).toContain('stream-processor failed to start: SERVICE_TOKEN: required when NODE_ENV=production');
  });
});
