import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, SERVICE_AUTH, startAppProcess, TEST_SERVICE_TOKEN, type AppProcess } from '@userstream/tools/testing';

// Each test starts an app process: more than Jest's default 5 s on a busy machine.
jest.setTimeout(60_000);

const entry = join(__dirname, '..', 'dist', 'main.js');
const METRICS_TOKEN = 'metrics-token-for-the-ingest-test';

describe('ingest service authentication', () => {
  let app: AppProcess;

  beforeAll(async () => {
    // No Kafka needed: nothing here gets as far as a run.
    app = await startAppProcess(entry, { env: { LOG_LEVEL: 'info', METRICS_TOKEN, KAFKA_BROKERS: `127.0.0.1:${await freePort()}` } });
  });
  afterAll(() => app?.stop('SIGTERM'));

  it('answers POST /runs without a token with 401 (curl -XPOST :3001/runs)', async () => {
    const res = await fetch(`${app.url}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: 10_000_000 }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="userstream"');
    expect(await res.json()).toEqual({ error: 'unauthorized', message: 'send Authorization: Bearer <token>' });
  });

  it('guards every route but liveness, and lets the metrics token read only metrics and readiness', async () => {
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    const wrong = { authorization: `Bearer ${TEST_SERVICE_TOKEN}-not` };
    const metrics = { authorization: `Bearer ${METRICS_TOKEN}` };
    for (const [method, path] of [
      ['GET', '/runs'],
      ['GET', '/runs/00000000-0000-0000-0000-000000000000'],
      ['DELETE', '/runs/00000000-0000-0000-0000-000000000000'],
      ['GET', '/health/ready'],
      ['GET', '/metrics'],
    ]) {
      expect((await fetch(`${app.url}${path}`, { method })).status).toBe(401);
      expect((await fetch(`${app.url}${path}`, { method, headers: wrong })).status).toBe(401);
    }
    expect((await fetch(`${app.url}/runs`, { headers: SERVICE_AUTH })).status).toBe(200);
    expect((await fetch(`${app.url}/runs`, { headers: metrics })).status).toBe(401);
    expect((await fetch(`${app.url}/metrics`, { headers: metrics })).status).toBe(200);
    expect((await fetch(`${app.url}/health/ready`, { headers: metrics })).status).toBe(503); // Kafka is nowhere; the token still opened it
  });

  it('logs refusals without the token, sends no X-Powered-By, and never logs its own tokens', async () => {
    const res = await fetch(`${app.url}/runs`, { headers: { authorization: 'Bearer a-guess-from-a-stranger' } });
    expect(res.headers.get('x-powered-by')).toBeNull();
    const log = app.output();
    expect(log).toContain('"msg":"request refused"');
    expect(log).toContain('"reason":"wrong token"');
    expect(log).not.toContain('a-guess-from-a-stranger');
    expect(log).not.toContain(TEST_SERVICE_TOKEN);
    expect(log).not.toContain(METRICS_TOKEN);
  });
});

describe('ingest tokens at start', () => {
  it('refuses to start in production without SERVICE_TOKEN, naming it', async () => {
    const app = await startAppProcess(entry, { env: { NODE_ENV: 'production', SERVICE_TOKEN: '' }, waitLive: false });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain('ingest failed to start: SERVICE_TOKEN: required when NODE_ENV=production');
  });

  it('refuses a token shorter than 16 characters without printing it', async () => {
    const app = await startAppProcess(entry, { env: { SERVICE_TOKEN: 'short-secret' }, waitLive: false });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain('SERVICE_TOKEN: must be at least 16 characters');
    expect(app.output()).not.toContain('short-secret');
  });

  it('reads the token from SERVICE_TOKEN_FILE', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ingest-token-')), 'service_token');
    writeFileSync(file, 'token-from-a-secret-file-0001\n');
    const app = await startAppProcess(entry, {
      env: { SERVICE_TOKEN: '', SERVICE_TOKEN_FILE: file, NODE_ENV: 'production', LOG_LEVEL: 'info', KAFKA_BROKERS: `127.0.0.1:${await freePort()}` },
    });
    try {
      expect((await fetch(`${app.url}/runs`, { headers: { authorization: 'Bearer token-from-a-secret-file-0001' } })).status).toBe(200);
      expect((await fetch(`${app.url}/runs`, { headers: SERVICE_AUTH })).status).toBe(401);
      expect(app.output()).not.toContain('token-from-a-secret-file-0001');
    } finally {
      await app.stop('SIGTERM');
    }
  });

  it('generates a token in development, prints it once on stderr, and requires it', async () => {
    const app = await startAppProcess(entry, { env: { SERVICE_TOKEN: '', LOG_LEVEL: 'info', KAFKA_BROKERS: `127.0.0.1:${await freePort()}` } });
    try {
      const token = /Authorization: Bearer (\S+)/.exec(app.output())?.[1] ?? '';
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(app.output().split(token)).toHaveLength(2);
      expect((await fetch(`${app.url}/runs`)).status).toBe(401);
      expect((await fetch(`${app.url}/runs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await app.stop('SIGTERM');
    }
  });
});
