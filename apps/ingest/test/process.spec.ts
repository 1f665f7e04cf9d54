import { join } from 'node:path';
import { freePort, SERVICE_AUTH, startAppProcess } from '@userstream/tools/testing';

const entry = join(__dirname, '..', 'dist', 'main.js');

describe('ingest process', () => {
  it('answers /health/live and exits 0 on SIGTERM', async () => {
    const app = await startAppProcess(entry, { env: { LOG_LEVEL: 'warn' } });
    const res = await fetch(`${app.url}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', app: 'ingest' });
    await expect(app.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });

  it('is not ready while Kafka cannot be reached, and still stops cleanly', async () => {
    const nowhere = await freePort();
    const app = await startAppProcess(entry, { env: { LOG_LEVEL: 'fatal', KAFKA_BROKERS: `127.0.0.1:${nowhere}` } });
    const res = await fetch(`${app.url}/health/ready`, { headers: SERVICE_AUTH });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'error', checks: { kafka: { ok: false } } });
    await expect(app.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  }, 30_000); // start-up plus the 3 s readiness bound does not fit Jest's default 5 s on a busy machine

  it('refuses to start with invalid configuration and names the variable', async () => {
    const app = await startAppProcess(entry, { env: { LOG_LEVEL: 'loud' }, waitLive: false });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toContain('LOG_LEVEL: must be one of');
  });
});
