// Golden tests of the randomuser.me mock, which the client
// tests and the end-to-end tests rely on: the 1.4 shape, determinism, the
// real API's parameter rules, and reproducible faults.
import { createHash } from 'node:crypto';
import {
  BAD_RECORD_KINDS,
  FIELDS,
  NATS,
  faultsFromEnv,
  generatePage,
  generateUser,
  startMockApi,
  userUuid,
  type MockApi,
  type MockFaults,
  type MockUser,
} from '../mock-api.mjs';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, shapeOf(v)]));
}

describe('mock users', () => {
  it('have exactly the fields of API 1.4, in its order and types', () => {
    const user = generateUser('golden', 1, 0, 'US');
    expect(Object.keys(user)).toEqual(['gender', 'name', 'location', 'email', 'login', 'dob', 'registered', 'phone', 'cell', 'id', 'picture', 'nat']);
    expect(FIELDS).toEqual(Object.keys(user));
    expect(shapeOf(user)).toEqual({
      gender: 'string',
      name: { title: 'string', first: 'string', last: 'string' },
      location: {
        street: { number: 'number', name: 'string' },
        city: 'string',
        state: 'string',
        country: 'string',
        postcode: 'number',
        coordinates: { latitude: 'string', longitude: 'string' },
        timezone: { offset: 'string', description: 'string' },
      },
      email: 'string',
      login: { uuid: 'string', username: 'string', password: 'string', salt: 'string', md5: 'string', sha1: 'string', sha256: 'string' },
      dob: { date: 'string', age: 'number' },
      registered: { date: 'string', age: 'number' },
      phone: 'string',
      cell: 'string',
      id: { name: 'string', value: 'string' },
      picture: { large: 'string', medium: 'string', thumbnail: 'string' },
      nat: 'string',
    });
  });

  it('have plausible values: uuid v4, ISO dates, real password hashes, portraits', () => {
    for (const user of generatePage({ seed: 'values', results: 200 }).results as MockUser[]) {
      expect(user.login.uuid).toMatch(UUID_V4);
      expect(user.dob.date).toMatch(ISO_MS);
      expect(user.registered.date).toMatch(ISO_MS);
      expect(user.dob.age).toBeGreaterThanOrEqual(21);
      expect(user.login.md5).toBe(
        createHash('md5')
          .update(user.login.password + user.login.salt)
          .digest('hex'),
      );
      expect(user.login.sha256).toBe(
        createHash('sha256')
          .update(user.login.password + user.login.salt)
          .digest('hex'),
      );
      expect(user.email).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+@example\.com$/);
      expect(user.location.coordinates.latitude).toMatch(/^-?\d{1,2}\.\d{4}$/);
      expect(user.location.timezone.offset).toMatch(/^[+-]?\d{1,2}:\d\d$/);
      expect(user.picture.large).toMatch(new RegExp(`^https://randomuser\\.me/api/portraits/${user.gender === 'male' ? 'men' : 'women'}/\\d+\\.jpg$`));
      expect(user.name.title).toBeTruthy();
      expect(NATS).toContain(user.nat);
    }
  });

  it('have number postcodes for most nationalities and string postcodes for CA, GB and NL', () => {
    const typesFor = (nat: string) => new Set((generatePage({ seed: 'pc', results: 30, nat }).results as MockUser[]).map((u) => typeof u.location.postcode));
    for (const nat of ['US', 'DE', 'FR', 'ES', 'FI', 'DK', 'NO', 'TR', 'IR', 'CH', 'AU', 'BR']) expect([nat, [...typesFor(nat)]]).toEqual([nat, ['number']]);
    for (const nat of ['GB', 'CA', 'NL']) expect([nat, [...typesFor(nat)]]).toEqual([nat, ['string']]);
  });

  it('use native scripts where the real API does, with ASCII e-mail addresses', () => {
    const ua = generateUser('script', 1, 0, 'UA');
    const ir = generateUser('script', 1, 0, 'IR');
    const inUser = generateUser('script', 1, 0, 'IN');
    expect(ua.name.first).toMatch(/^[\u0400-\u04FF]+$/);
    expect(ir.name.last).toMatch(/^[\u0600-\u06FF]+$/);
    expect(inUser.name.first).toMatch(/^[\u0900-\u097F]+$/);
    for (const u of [ua, ir, inUser]) expect(u.email).toMatch(/^[a-z-]+\.[a-z-]+@example\.com$/);
    expect(generateUser('script', 1, 0, 'UA').id).toEqual({ name: '', value: null });
  });

  it('are a pure function of seed, nationality filter, page and index', () => {
    expect(generateUser('d', 3, 7)).toEqual(generateUser('d', 3, 7));
    expect(generatePage({ seed: 'd', page: 3, results: 10 }).results[7]).toEqual(generateUser('d', 3, 7));
    // A smaller page is a prefix of a larger one, as on the real API.
    expect(generatePage({ seed: 'd', results: 20 }).results.slice(0, 10)).toEqual(generatePage({ seed: 'd', results: 10 }).results);
    expect(generateUser('d', 1, 0, 'us,fr')).toEqual(generateUser('d', 1, 0, ['US', 'FR']));
    expect(userUuid('d', 1, 0)).not.toBe(userUuid('e', 1, 0));
    expect(userUuid('d', 1, 0)).not.toBe(userUuid('d', 1, 0, 'US'));
  });

  it('never repeat a uuid within a seed', () => {
    const ids = new Set<string>();
    for (let page = 1; page <= 2; page++)
      for (const u of generatePage({ seed: 'uniq', page, results: 5000, inc: 'login' }).results) ids.add((u as MockUser).login.uuid);
    expect(ids.size).toBe(10_000);
  });

  it('apply inc and exc like the real API', () => {
    const keys = (params: { inc?: string; exc?: string }) => Object.keys(generatePage({ seed: 'f', ...params }).results[0] ?? {});
    expect(keys({ inc: 'email,name' })).toEqual(['name', 'email']);
    expect(keys({ inc: ' Login , NAT ,bogus' })).toEqual(['login', 'nat']);
    expect(keys({ exc: 'login,picture' })).toEqual(FIELDS.filter((f) => f !== 'login' && f !== 'picture'));
    expect(keys({ inc: 'name,email,login', exc: 'email' })).toEqual(['name', 'login']);
    // Leaving fields out does not change the others.
    expect(generatePage({ seed: 'f', inc: 'login' }).results[0]?.login).toEqual(generateUser('f', 1, 0).login);
  });

  it('normalise results, page and nat like the real API', () => {
    const info = (params: Record<string, unknown>) => generatePage({ seed: 'n', ...params }).info;
    expect(info({}).results).toBe(1);
    expect(info({ results: 0 }).results).toBe(0);
    expect(info({ results: 5000 }).results).toBe(5000);
    expect(info({ results: 5001 }).results).toBe(1);
    expect(info({ results: 'abc' }).results).toBe(1);
    expect(info({ results: -3 }).results).toBe(1);
    expect(info({ page: 10_000 }).page).toBe(10_000);
    expect(info({ page: 10_001 }).page).toBe(1);
    expect(new Set((generatePage({ seed: 'n', results: 20, nat: 'us' }).results as MockUser[]).map((u) => u.nat))).toEqual(new Set(['US']));
    // Any unknown code voids the filter: all nationalities.
    expect(new Set((generatePage({ seed: 'n', results: 200, nat: 'us,xx' }).results as MockUser[]).map((u) => u.nat)).size).toBeGreaterThan(5);
    expect(generatePage({}).info.seed).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('mock server', () => {
  let api: MockApi;
  beforeAll(async () => {
    api = await startMockApi();
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.setFaults({});
    api.resetStats();
  });

  const get = async (query: string, path = '/api/', init?: RequestInit) => {
    const res = await fetch(`http://127.0.0.1:${api.port}${path}${query}`, init);
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  it('serves pages on /api, /api/ and /api/1.4/ with the generator output', async () => {
    const expected = JSON.stringify(generatePage({ seed: 'http', page: 2, results: 7 }));
    for (const path of ['/api', '/api/', '/api/1.4/']) {
      const res = await get('?seed=http&page=2&results=7', path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.text).toBe(expected);
    }
    expect(JSON.parse((await get('?seed=http&results=2&format=pretty')).text)).toEqual(generatePage({ seed: 'http', results: 2 }));
    expect(JSON.parse((await get('?seed=http&noinfo')).text)).not.toHaveProperty('info');
    expect((await get('', '/nope')).status).toBe(404);
    expect((await get('', '/api/', { method: 'POST' })).status).toBe(405);
    expect(api.stats()).toMatchObject({ pagesServed: 5, usersServed: 7 * 3 + 2 + 1 });
  });

  it('forces faults per request with ?_fault= or the x-mock-fault header', async () => {
    const tooMany = await get('?_fault=429&_retry_after=7');
    expect([tooMany.status, tooMany.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await get('', '/api/', { headers: { 'x-mock-fault': '502' } })).status).toBe(502);
    const errorBody = await get('?_fault=error-body');
    expect([errorBody.status, JSON.parse(errorBody.text)]).toEqual([200, { error: 'Uh oh, something has gone wrong. Please tell us on GitHub.' }]);
    const full = (await get('?seed=t&results=20')).text;
    const truncated = (await get('?seed=t&results=20&_fault=truncated')).text;
    expect(truncated.length).toBeLessThan(full.length);
    expect(full.startsWith(truncated)).toBe(true);
    expect((await get('?_fault=malformed')).text).toMatch(/^<!DOCTYPE html>/);
    await expect(get('?_fault=reset')).rejects.toThrow();
    expect((await get('?_fault=teapot')).status).toBe(400);
    expect(api.stats().byStatus).toMatchObject({ '200': 4, '429': 1, '502': 1, '400': 1, reset: 1 });
  });

  it('sends Retry-After as an HTTP date when configured', async () => {
    api.setFaults({ sequence: ['429'], retryAfterSeconds: 60, retryAfterFormat: 'http-date' });
    const at = Date.parse((await get('')).headers.get('retry-after') ?? '');
    expect(at - Date.now()).toBeGreaterThan(50_000);
  });

  it('makes the same decisions for the same faultSeed, whatever the order of requests', async () => {
    const faults: MockFaults = { faultSeed: 'repro', rate429: 0.3, rate5xx: 0.3 };
    const statuses = async (pages: number[]) => {
      api.setFaults(faults);
      const out: Record<number, number[]> = {};
      for (const page of pages) (out[page] ??= []).push((await get(`?seed=f&results=1&page=${page}`)).status);
      return out;
    };
    const forward = await statuses([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    const backward = await statuses([6, 5, 4, 3, 2, 1, 6, 5, 4, 3, 2, 1]);
    expect(backward).toEqual(forward);
    expect(Object.values(forward).flat()).toEqual(expect.arrayContaining([200, 429]));
  });

  it('breaks the same records on every fetch under a faultSeed and reports them', async () => {
    api.setFaults({ faultSeed: 'bad', badRecords: 0.2 });
    const first = JSON.parse((await get('?seed=b&results=100&page=3')).text);
    const again = JSON.parse((await get('?seed=b&results=100&page=3')).text);
    expect(again).toEqual(first);
    const stats = api.stats();
    expect(stats.invalidUsers.length).toBeGreaterThan(5);
    expect(stats.invalidUsersServed).toBe(2 * stats.invalidUsers.length);
    const broken = new Set(stats.invalidUsers.map((u) => u.index));
    first.results.forEach((user: MockUser, index: number) => {
      if (!broken.has(index)) expect(user).toEqual(generateUser('b', 3, index));
    });
    for (const bad of stats.invalidUsers) {
      expect(bad).toMatchObject({ seed: 'b', nat: null, page: 3, uuid: userUuid('b', 3, bad.index) });
      expect(BAD_RECORD_KINDS).toContain(bad.kind);
      const user = first.results[bad.index];
      const check: Record<string, () => boolean> = {
        'missing-uuid': () => user.login.uuid === undefined,
        'invalid-uuid': () => user.login.uuid === 'not-a-uuid',
        'location-string': () => typeof user.location === 'string',
        'email-number': () => typeof user.email === 'number',
        'missing-name': () => user.name === undefined,
        'null-login': () => user.login === null,
      };
      expect([bad.kind, check[bad.kind]?.()]).toEqual([bad.kind, true]);
    }
  });

  it('takes faults and gives stats on admin endpoints', async () => {
    const set = await get('', '/_mock/faults', { method: 'POST', body: JSON.stringify({ sequence: ['503'] }) });
    expect(set.status).toBe(200);
    expect((await get('')).status).toBe(503);
    expect((await get('')).status).toBe(200);
    expect(JSON.parse((await get('', '/_mock/stats')).text)).toMatchObject({ requests: 2, byStatus: { '200': 1, '503': 1 } });
    expect((await get('', '/_mock/faults', { method: 'POST', body: '{"rate429": 3}' })).status).toBe(400);
    expect((await get('', '/health')).status).toBe(200);
  });

  it('closes with slow answers pending', async () => {
    const slowApi = await startMockApi({ faults: { rateSlow: 1, slowMs: 60_000 } });
    const pending = fetch(slowApi.url).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await slowApi.close();
    // fetch rejects (its TypeError comes from another realm than Jest's, so check the name).
    expect(await pending).toMatchObject({ name: 'TypeError' });
  });
});

describe('mock fault settings', () => {
  it('are read from MOCK_FAULT_* variables', () => {
    const faults = faultsFromEnv({ MOCK_FAULT_429: '0.1', MOCK_FAULT_RETRY_AFTER: '2', MOCK_FAULT_SEED: 'x', MOCK_FAULT_SEQUENCE: '429;slow,503' });
    expect(faults).toMatchObject({ rate429: 0.1, retryAfterSeconds: 2, faultSeed: 'x', rate5xx: 0 });
    expect(faults.sequence).toEqual([
      { outcome: '429', slow: false, badRecords: false },
      { outcome: '503', slow: true, badRecords: false },
    ]);
    expect(() => faultsFromEnv({ MOCK_FAULT_429: 'lots' })).toThrow('MOCK_FAULT_429 must be a number');
    expect(() => faultsFromEnv({ MOCK_FAULT_429: '0.7', MOCK_FAULT_5XX: '0.7' })).toThrow('more than 1');
  });
});
