import type { AppProcess } from '@userstream/tools/testing';
import { api, BASIC, cassandraClient, PASSWORD, startOrchestrator, uniqueName, USER } from './support/orchestrator.process';

jest.setTimeout(120_000);

// The built orchestrator, on the real Cassandra, under the requests of item 6 of
// the security review: it must answer each with a 4xx or a safe redirect and
// still be alive afterwards (a crash shows as a refused connection and a dead process).

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

describe('the orchestrator process under hostile requests', () => {
  const keyspace = uniqueName('orch_hostile');
  const cassandra = cassandraClient();
  let app: AppProcess;

  beforeAll(async () => {
    app = await startOrchestrator({ ORCHESTRATOR_KEYSPACE: keyspace, ORCHESTRATOR_LOGIN_MAX_FAILURES: '5', ORCHESTRATOR_LOGIN_LOCKOUT_MS: '200' });
  });

  afterAll(async () => {
    await app?.stop('SIGTERM');
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cassandra.shutdown();
  });

  afterEach(async () => {
    // Still alive and answering after every case.
    expect(app.child.exitCode).toBeNull();
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
  });

  it('survives the login crash string next=/Ā and redirects to the encoded path', async () => {
    const res = await fetch(`${app.url}/login`, form({ username: USER, password: PASSWORD, next: '/Ā' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/%C4%80');
  });

  it.each(['/\t/evil.example/x', '/\\evil.example/x', '/%2F/evil.example/x', '//evil.example/x'])('never redirects off the site for next=%j', async (next) => {
    const res = await fetch(`${app.url}/login`, form({ username: USER, password: PASSWORD, next }));
    expect(res.headers.get('location')).toBe('/');
  });

  it('refuses a cross-site POST carrying cached Basic credentials, and the job stays unpaused', async () => {
    for (const action of ['pause', 'trigger']) {
      const res = await fetch(`${app.url}/api/jobs/user_data_kafka_stream/${action}`, {
        method: 'POST',
        headers: { authorization: BASIC, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'x=1',
      });
      expect(res.status).toBe(403);
    }
    const { body } = await api<{ jobs: Array<{ name: string; paused: boolean }> }>(app, 'GET', '/api/jobs');
    expect(body.jobs.find((j) => j.name === 'user_data_kafka_stream')?.paused).toBe(false);
    const { body: runs } = await api<{ runs: unknown[] }>(app, 'GET', '/api/runs');
    expect(runs.runs).toEqual([]);
  });

  it('answers a malformed cookie with 400 and no stack trace', async () => {
    const res = await fetch(`${app.url}/api/jobs`, { headers: { cookie: 'userstream_session=%E0%A4%A' } });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('refuses inherited parameter names and a rate whose waits would overflow a timer', async () => {
    for (const params of [{ hasOwnProperty: 1 }, { constructor: 1 }, { toString: 'x' }, { rate: 0.00001, records: 10 }]) {
      const { status, body } = await api<{ message: string }>(app, 'POST', '/api/jobs/user_data_kafka_stream/trigger', { params });
      expect({ params, status }).toEqual({ params, status: 400 });
      expect(body.message).toMatch(/^params: /);
    }
    const proto = await fetch(`${app.url}/api/jobs/user_data_kafka_stream/trigger`, {
      method: 'POST',
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      body: '{"params":{"__proto__":{"records":5}}}',
    });
    expect(proto.status).toBe(400);
  });

  it('puts the security headers on JSON and error answers, and tells strangers nothing about its servers', async () => {
    for (const path of ['/api/jobs', '/api/nothing-here', '/health/ready', '/metrics']) {
      const res = await fetch(`${app.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
      expect(res.headers.get('content-security-policy')).toContain("base-uri 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(await res.text()).not.toMatch(/127\.0\.0\.1:\d+|9042/);
    }
    const notFound = await fetch(`${app.url}/api/nothing-here`, { headers: { authorization: BASIC } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('locks out 100 failed logins and logs them without the passwords (runs last: it locks this address out)', async () => {
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${app.url}/login`, form({ username: USER, password: `wrong-guess-${i}` }));
      expect(res.status).toBe(303);
    }
    const basicRes = await fetch(`${app.url}/api/jobs`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:basic-guess`).toString('base64')}` } });
    expect([401, 429]).toContain(basicRes.status);
    const log = app.output();
    expect(log).toContain('"msg":"failed login"');
    expect(log).toContain('"msg":"login refused: too many failures"');
    expect(log).not.toMatch(/wrong-guess-\d+|basic-guess/);
    expect(log).not.toContain(PASSWORD);
  });
});
