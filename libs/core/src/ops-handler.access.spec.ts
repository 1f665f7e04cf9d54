import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from './errors';
import { HealthChecks } from './health';
import type { Logger } from './logger';
import { bearerToken, createOpsHandler, resolveServiceAccess, tokenMatches } from './ops-handler';

const SERVICE = 'service-token-0123456789';
const METRICS = 'metrics-token-0123456789';

describe('the ops handler as a front door', () => {
  let server: Server;
  let url: string;
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { warn: (obj: object) => warnings.push(obj as Record<string, unknown>) } as unknown as Logger;

  beforeAll(async () => {
    const health = new HealthChecks(200).register('kafka', async () => {
      throw new Error('connect ECONNREFUSED 10.1.2.3:9092');
    });
    const handler = createOpsHandler({
      health,
      metrics: { contentType: 'text/plain', metrics: async () => 'records_total 3\n' },
      access: { serviceToken: SERVICE, metricsToken: METRICS, logger },
    });
    server = createServer((req, res) => handler(req, res, () => res.end('app route')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const get = (path: string, authorization?: string, method = 'GET') => fetch(`${url}${path}`, { method, headers: authorization ? { authorization } : {} });

  it('keeps only liveness open', async () => {
    expect((await get('/health/live')).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/health/ready'],
      ['GET', '/metrics'],
      ['POST', '/runs'],
      ['GET', '/runs'],
      ['DELETE', '/runs/x'],
      ['GET', '/nothing-here'],
      ['POST', '/health/live'],
    ]) {
      const res = await get(path, undefined, method);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="userstream"');
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ error: 'unauthorized', message: 'send Authorization: Bearer <token>' });
      // Nothing about the app's dependencies leaks to a stranger.
      expect(body).not.toContain('10.1.2.3');
    }
  });

  it('opens every route with the service token, and only readiness and metrics with the metrics token', async () => {
    expect(await (await get('/runs', `Bearer ${SERVICE}`)).text()).toBe('app route');
    expect((await get('/health/ready', `Bearer ${SERVICE}`)).status).toBe(503);
    expect(await (await get('/metrics', `bearer ${METRICS}`)).text()).toBe('records_total 3\n');
    expect((await get('/health/ready', `Bearer ${METRICS}`)).status).toBe(503);
    expect((await get('/runs', `Bearer ${METRICS}`)).status).toBe(401);
    expect((await get('/runs', `Bearer ${SERVICE}x`)).status).toBe(401);
    expect((await get('/runs', `Bearer ${SERVICE.slice(0, -1)}`)).status).toBe(401);
    expect((await get('/runs', `Basic ${Buffer.from(`x:${SERVICE}`).toString('base64')}`)).status).toBe(401);
    expect((await get('/runs', SERVICE)).status).toBe(401);
  });

  it('logs refusals with the reason, never the token sent', async () => {
    warnings.length = 0;
    await get('/runs?x=1', 'Bearer wrong-token-sent-by-a-stranger', 'POST');
    await get('/runs');
    await get('/runs', 'Basic abc');
    expect(warnings.map((w) => w['reason'])).toEqual(['wrong token', 'no credentials', 'not a bearer token']);
    expect(warnings[0]).toMatchObject({ method: 'POST', path: '/runs', remote: '127.0.0.1' });
    expect(JSON.stringify(warnings)).not.toContain('wrong-token-sent-by-a-stranger');
  });
});

describe('tokens', () => {
  it('compares whole tokens only', () => {
    expect(tokenMatches('abc', ['abc'])).toBe(true);
    expect(tokenMatches('abc', [undefined, 'xyz', 'abc'])).toBe(true);
    expect(tokenMatches('ab', ['abc'])).toBe(false);
    expect(tokenMatches('', [''])).toBe(false);
    expect(tokenMatches(undefined, ['abc'])).toBe(false);
    expect(tokenMatches('abc', [])).toBe(false);
    expect(bearerToken('Bearer  abc ')).toBe('abc');
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
  });

  it('are required in production, naming SERVICE_TOKEN, and generated in development', () => {
    expect(() => resolveServiceAccess({ nodeEnv: 'production' }, { generate: true })).toThrow(ConfigError);
    expect(() => resolveServiceAccess({ nodeEnv: 'production', metricsToken: METRICS }, { generate: false })).toThrow(
      /^SERVICE_TOKEN: required when NODE_ENV=production/,
    );
    expect(resolveServiceAccess({ nodeEnv: 'production', serviceToken: SERVICE, metricsToken: METRICS }, { generate: true })).toEqual({
      serviceToken: SERVICE,
      metricsToken: METRICS,
      generated: false,
    });
    const a = resolveServiceAccess({ nodeEnv: 'development' }, { generate: true });
    const b = resolveServiceAccess({ nodeEnv: 'development' }, { generate: true });
    expect(a.generated).toBe(true);
    expect(a.serviceToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.serviceToken).not.toBe(b.serviceToken);
    expect(resolveServiceAccess({ nodeEnv: 'development' }, { generate: false })).toEqual({ generated: false });
  });
});
