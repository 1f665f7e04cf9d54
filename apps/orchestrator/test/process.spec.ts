import { BASIC, cassandraClient, startOrchestrator, uniqueName } from './support/orchestrator.process';

jest.setTimeout(90_000);

describe('orchestrator process', () => {
  const keyspace = uniqueName('orch_process');
  const cassandra = cassandraClient();

  afterAll(async () => {
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cassandra.shutdown();
  });

  it('answers /health/live and /health/ready (Cassandra reachable) and exits 0 on SIGTERM', async () => {
    const app = await startOrchestrator({ ORCHESTRATOR_KEYSPACE: keyspace });
    const res = await fetch(`${app.url}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', app: 'orchestrator' });
    const ready = await fetch(`${app.url}/health/ready`, { headers: { authorization: BASIC } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { cassandra: { ok: true } } });
    expect((await fetch(`${app.url}/metrics`, { headers: { authorization: BASIC } })).status).toBe(200);
    await expect(app.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });

  it('refuses to start with invalid configuration and names the variable', async () => {
    const app = await startOrchestrator({ LOG_LEVEL: 'loud' }, { waitLive: false });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toContain('LOG_LEVEL: must be one of');
  });

  it('refuses to start in production without a password, naming ORCHESTRATOR_PASSWORD', async () => {
    const app = await startOrchestrator({ NODE_ENV: 'production', ORCHESTRATOR_PASSWORD: '', ORCHESTRATOR_KEYSPACE: keyspace }, { waitLive: false });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toContain('orchestrator failed to start: ORCHESTRATOR_PASSWORD: required when NODE_ENV=production');
  });

  it('generates a password in development, prints it once, and accepts it', async () => {
    const app = await startOrchestrator({ ORCHESTRATOR_PASSWORD: '', ORCHESTRATOR_KEYSPACE: keyspace, LOG_LEVEL: 'info' });
    try {
      const printed = /password: (\S+) \(generated; set ORCHESTRATOR_PASSWORD to choose one\)/.exec(app.output());
      const password = printed?.[1] ?? '';
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      // Exactly once, on stderr for people; the JSON log only says that one was generated.
      expect(app.output().split(password)).toHaveLength(2);
      expect(app.output()).toContain('ORCHESTRATOR_PASSWORD is not set: generated a password for this process');
      expect(app.output()).toContain(`orchestrator dashboard: ${app.url}/`);
      const unauthorized = await fetch(`${app.url}/api/jobs`);
      expect(unauthorized.status).toBe(401);
      const ok = await fetch(`${app.url}/api/jobs`, { headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` } });
      expect(ok.status).toBe(200);
    } finally {
      await app.stop('SIGTERM');
    }
  });
});
