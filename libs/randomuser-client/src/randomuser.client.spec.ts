import { AbortError, ConfigError } from '@userstream/core';
import { ERROR_MESSAGE, generatePage, startMockApi, type MockApi } from '@userstream/tools/mock-api';
import { RandomUserClient, type RandomUserClientEvents, type RandomUserClientOptions } from './randomuser.client';
import { RandomUserError } from './randomuser.errors';

// Fast retry settings for tests: the policy is the same, only the waits shrink.
const FAST_RETRY = { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 20 };

let api: MockApi;
const clients: RandomUserClient[] = [];

function client(options: RandomUserClientOptions = {}): RandomUserClient {
  const c = new RandomUserClient({ baseUrl: api.url, timeoutMs: 2000, retry: FAST_RETRY, ...options });
  clients.push(c);
  return c;
}

type Failed = RandomUserClientEvents['client.request_failed'];
type Succeeded = RandomUserClientEvents['client.request_succeeded'];

function record(c: RandomUserClient): { failed: Failed[]; succeeded: Succeeded[] } {
  const seen = { failed: [] as Failed[], succeeded: [] as Succeeded[] };
  c.events.on('client.request_failed', (e) => seen.failed.push(e));
  c.events.on('client.request_succeeded', (e) => seen.succeeded.push(e));
  return seen;
}

async function rejection(promise: Promise<unknown>): Promise<RandomUserError> {
  try {
    await promise;
  } catch (error) {
    return error as RandomUserError;
  }
  throw new Error('expected the promise to reject');
}

beforeAll(async () => {
  api = await startMockApi();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await api.close();
});

beforeEach(() => {
  api.setFaults({});
  api.resetStats();
});

describe('RandomUserClient.fetchPage', () => {
  it('returns the 1.4 envelope with the requested users, the same for the same seed and page', async () => {
    const c = client();
    const events = record(c);
    const first = await c.fetchPage({ results: 25, seed: 'unit', page: 2 });
    const again = await c.fetchPage({ results: 25, seed: 'unit', page: 2 });
    expect(first.info).toEqual({ seed: 'unit', results: 25, page: 2, version: '1.4' });
    expect(first.results).toHaveLength(25);
    expect(again).toEqual(first);
    expect(first).toEqual(generatePage({ seed: 'unit', page: 2, results: 25 }));
    expect(events.succeeded[0]).toMatchObject({ status: 200, results: 25, attempt: 1, page: 2, seed: 'unit' });
    expect(events.succeeded[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(events.failed).toEqual([]);
  });

  it('gives other users on other pages', async () => {
    const c = client();
    const [one, two] = await Promise.all([c.fetchPage({ results: 50, seed: 's', page: 1 }), c.fetchPage({ results: 50, seed: 's', page: 2 })]);
    const ids = new Set(one.results.map((u) => u.login.uuid));
    expect(two.results.some((u) => ids.has(u.login.uuid))).toBe(false);
  });

  it('uses the seed the API picked when none is given', async () => {
    const page = await client().fetchPage({ results: 2 });
    expect(page.info.seed).toMatch(/^[0-9a-f]{16}$/);
  });

  it('sends nat, inc and exc', async () => {
    const page = await client().fetchPage({ results: 30, seed: 'n', nat: ['us', 'GB'], inc: ['login', 'nat', 'email'], exc: 'email' });
    for (const user of page.results) {
      expect(Object.keys(user)).toEqual(['login', 'nat']);
      expect(['US', 'GB']).toContain(user.nat);
    }
  });

  it('rejects invalid parameters without sending a request', async () => {
    const c = client();
    for (const params of [{ results: 0 }, { results: 5001 }, { results: 1.5 }, { page: 0 }, { page: 10_001 }, { nat: 'XX' }, { seed: '' }]) {
      await expect(c.fetchPage(params)).rejects.toBeInstanceOf(ConfigError);
    }
    await expect(c.fetchPage({ inc: ['login', 'nope' as never] })).rejects.toThrow('unknown field "nope"');
    expect(api.stats().requests).toBe(0);
  });

  it('rejects invalid options', () => {
    expect(() => new RandomUserClient({ baseUrl: 'not a url' })).toThrow(ConfigError);
    expect(() => new RandomUserClient({ baseUrl: 'ftp://example.com/' })).toThrow(ConfigError);
    expect(() => new RandomUserClient({ retry: { maxAttempts: 0 } })).toThrow(ConfigError);
    expect(() => new RandomUserClient({ retry: { maxAttempts: Infinity } })).toThrow('needs a retry.deadlineMs');
    expect(() => new RandomUserClient({ rateLimit: { requestsPerSecond: 0 } })).toThrow(ConfigError);
  });

  it('keeps the connection alive between requests', async () => {
    let connections = 0;
    const onConnection = () => connections++;
    api.server.on('connection', onConnection);
    try {
      const c = client();
      for (let page = 1; page <= 3; page++) await c.fetchPage({ results: 5, seed: 'ka', page });
    } finally {
      api.server.off('connection', onConnection);
    }
    expect(connections).toBe(1);
  });
});

describe('RandomUserClient retries', () => {
  it('waits as long as Retry-After says after a 429', async () => {
    api.setFaults({ sequence: ['429', 'ok'], retryAfterSeconds: 1 });
    // Retry-After is honoured up to maxDelayMs.
    const c = client({ retry: { ...FAST_RETRY, maxDelayMs: 2000 } });
    const events = record(c);
    const started = Date.now();
    const page = await c.fetchPage({ results: 3, seed: 'r' });
    expect(page.results).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events.failed).toEqual([expect.objectContaining({ code: 'API_HTTP_ERROR', status: 429, attempt: 1, willRetry: true, delayMs: 1000 })]);
    expect(events.succeeded).toEqual([expect.objectContaining({ attempt: 2 })]);
  });

  it('retries 5xx answers and succeeds', async () => {
    api.setFaults({ sequence: ['500', '502', '503', 'ok'] });
    const c = client();
    const events = record(c);
    await expect(c.fetchPage({ results: 2, seed: 'x' })).resolves.toMatchObject({ info: { page: 1 } });
    expect(events.failed.map((e) => [e.status, e.willRetry])).toEqual([
      [500, true],
      [502, true],
      [503, true],
    ]);
    expect(api.stats().byStatus).toEqual({ '200': 1, '500': 1, '502': 1, '503': 1 });
  });

  it('caps Retry-After at maxDelayMs', async () => {
    api.setFaults({ sequence: ['429', 'ok'], retryAfterSeconds: 30 });
    const c = client({ retry: { ...FAST_RETRY, maxDelayMs: 20 } });
    const events = record(c);
    await c.fetchPage({ results: 1, seed: 'r' });
    expect(events.failed).toEqual([expect.objectContaining({ status: 429, delayMs: 20 })]);
  });

  it('says how many attempts it made when it gives up', async () => {
    api.setFaults({ rate5xx: 1, statuses5xx: [503] });
    const c = client({ retry: { ...FAST_RETRY, maxAttempts: 3 } });
    const events = record(c);
    const error = await rejection(c.fetchPage({ results: 1, seed: 'x' }));
    expect(error).toBeInstanceOf(RandomUserError);
    expect(error).toMatchObject({ code: 'API_HTTP_ERROR', status: 503, attempts: 3, retriable: true });
    expect(error.message).toContain('gave up after 3 attempts');
    expect(error.details['snippet']).toContain('503 Service Temporarily Unavailable');
    expect(api.stats().requests).toBe(3);
    expect(events.failed.map((e) => e.willRetry)).toEqual([true, true, false]);
  });

  it('does not retry a 4xx other than 408/425/429', async () => {
    const c = client({ baseUrl: `${api.url}?format=xml` });
    const error = await rejection(c.fetchPage());
    expect(error).toMatchObject({ code: 'API_HTTP_ERROR', status: 400, retriable: false, attempts: 1 });
    expect(error.details['apiMessage']).toContain('not supported');
    expect(api.stats().requests).toBe(1);
  });

  it('retries a dropped connection as a network error', async () => {
    api.setFaults({ sequence: ['reset', 'ok'] });
    const c = client();
    const events = record(c);
    await expect(c.fetchPage({ results: 1, seed: 'x' })).resolves.toBeDefined();
    expect(events.failed).toEqual([expect.objectContaining({ code: 'API_NETWORK', willRetry: true })]);
  });

  it('times out a slow request and retries it', async () => {
    api.setFaults({ sequence: ['slow', 'ok'], slowMs: 10_000 });
    const c = client({ timeoutMs: 500 });
    const events = record(c);
    await expect(c.fetchPage({ results: 1, seed: 'x' })).resolves.toBeDefined();
    expect(events.failed).toEqual([expect.objectContaining({ code: 'API_TIMEOUT', willRetry: true })]);
  });

  it('stops before a wait that would pass the deadline, with the last failure as cause', async () => {
    api.setFaults({ rate429: 1, retryAfterSeconds: 1 });
    const c = client({ retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 5000, deadlineMs: 300 } });
    const events = record(c);
    const started = Date.now();
    const error = await rejection(c.fetchPage({ results: 1, seed: 'x' }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(RandomUserError);
    expect(error).toMatchObject({ code: 'API_DEADLINE', retriable: true, attempts: 1, status: 429 });
    expect(error.details['lastCode']).toBe('API_HTTP_ERROR');
    expect((error.cause as RandomUserError).retryAfterMs).toBe(1000);
    expect(error.message).toContain('deadline of 300 ms reached after 1 attempt; last failure: randomuser API answered HTTP 429');
    expect(events.failed).toEqual([expect.objectContaining({ status: 429, willRetry: false })]);
  });

  it('keeps retrying until the deadline when attempts are unlimited', async () => {
    api.setFaults({ rate5xx: 1, statuses5xx: [500] });
    const c = client({ retry: { maxAttempts: Infinity, initialDelayMs: 20, maxDelayMs: 20, deadlineMs: 300 } });
    const started = Date.now();
    const error = await rejection(c.fetchPage({ results: 1, seed: 'x' }));
    expect(error).toMatchObject({ code: 'API_DEADLINE' });
    expect(error.attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('RandomUserClient envelope checks', () => {
  it('rejects a non-JSON body with a short snippet, and retries it', async () => {
    api.setFaults({ rateMalformed: 1 });
    const error = await rejection(client({ retry: { ...FAST_RETRY, maxAttempts: 2 } }).fetchPage({ results: 1, seed: 'x' }));
    expect(error).toMatchObject({ code: 'API_BAD_BODY', status: 200, retriable: true, attempts: 2 });
    expect(error.details['reason']).toBe('not JSON');
    const snippet = error.details['snippet'] as string;
    expect(snippet.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(snippet.length).toBeLessThanOrEqual(200);
  });

  it('rejects a truncated body', async () => {
    api.setFaults({ sequence: ['truncated', 'truncated'] });
    const error = await rejection(client({ retry: { ...FAST_RETRY, maxAttempts: 2 } }).fetchPage({ results: 20, seed: 'x' }));
    expect(error).toMatchObject({ code: 'API_BAD_BODY', attempts: 2 });
    expect(error.details['reason']).toBe('invalid or truncated JSON');
  });

  it('recognises the API error body even with HTTP 200', async () => {
    api.setFaults({ sequence: ['error-body', 'ok'] });
    const c = client();
    const events = record(c);
    await expect(c.fetchPage({ results: 1, seed: 'x' })).resolves.toBeDefined();
    expect(events.failed).toEqual([expect.objectContaining({ code: 'API_ERROR_BODY', status: 200, willRetry: true })]);

    api.setFaults({ rateErrorBody: 1 });
    const error = await rejection(client({ retry: { ...FAST_RETRY, maxAttempts: 1 } }).fetchPage({ results: 1, seed: 'x' }));
    expect(error).toMatchObject({ code: 'API_ERROR_BODY', retriable: true, attempts: 1 });
    expect(error.details['apiMessage']).toBe(ERROR_MESSAGE);
  });

  it('passes broken records through: validating them is not its job', async () => {
    api.setFaults({ badRecords: 1, badRecordKinds: ['location-string'], faultSeed: 'b' });
    const page = await client().fetchPage({ results: 3, seed: 'x' });
    expect(page.results.map((u) => typeof u.location)).toEqual(['string', 'string', 'string']);
  });
});

describe('RandomUserClient cancellation', () => {
  it('aborts promptly while waiting to retry', async () => {
    api.setFaults({ rate429: 1, retryAfterSeconds: 30 });
    const c = client({ retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 60_000 } });
    const controller = new AbortController();
    c.events.on('client.request_failed', (e) => {
      if (e.willRetry) controller.abort();
    });
    const started = Date.now();
    await expect(c.fetchPage({ results: 1, seed: 'x', signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(api.stats().requests).toBe(1);
  });

  it('aborts a request in flight', async () => {
    api.setFaults({ rateSlow: 1, slowMs: 10_000 });
    const c = client({ timeoutMs: 20_000 });
    const controller = new AbortController();
    const promise = c.fetchPage({ results: 1, seed: 'x', signal: controller.signal });
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await expect(promise).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects at once with an already aborted signal', async () => {
    await expect(client().fetchPage({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(api.stats().requests).toBe(0);
  });
});

describe('RandomUserClient rate limit', () => {
  it('spaces requests at the configured rate', async () => {
    const c = client({ rateLimit: { requestsPerSecond: 20 } });
    const started = Date.now();
    for (let i = 0; i < 5; i++) await c.fetchPage({ results: 1, seed: 'rl', page: i + 1 });
    // Five requests at 20/s need at least four 50 ms gaps; only the lower bound is checked.
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });
});

describe('RandomUserClient.pages', () => {
  it('iterates consecutive pages of one seed', async () => {
    const c = client();
    const pages = [];
    for await (const page of c.pages({ seed: 'it', results: 10, startPage: 4, maxPages: 3 })) pages.push(page);
    expect(pages.map((p) => p.info.page)).toEqual([4, 5, 6]);
    expect(pages[1]).toEqual(generatePage({ seed: 'it', page: 5, results: 10 }));
  });

  it('keeps the seed the API picked for the following pages', async () => {
    const seeds = [];
    for await (const page of client().pages({ results: 2, maxPages: 3 })) seeds.push(page.info.seed);
    expect(seeds).toHaveLength(3);
    expect(new Set(seeds).size).toBe(1);
  });

  it('ends with the error when a page fails for good', async () => {
    api.setFaults({ sequence: ['ok', '503', '503'] });
    const c = client({ retry: { ...FAST_RETRY, maxAttempts: 2 } });
    const seen: number[] = [];
    const run = async () => {
      for await (const page of c.pages({ seed: 'e', results: 1 })) seen.push(page.info.page);
    };
    await expect(run()).rejects.toMatchObject({ code: 'API_HTTP_ERROR', attempts: 2 });
    expect(seen).toEqual([1]);
  });
});
