import { waitFor } from '@userstream/core';
import { IngestRun, type IngestRunOptions } from './ingest-run';
import type { RunParams } from '@userstream/ingest-contract';
import { FakeSink, FakeSource, InstantClock, apiGaveUp, expectedIds, memoryLogger } from '../../test/support/run-fakes';

function params(overrides: Partial<RunParams> = {}): RunParams {
  return { seed: 'unit', encoding: 'avro', startPage: 1, pageSize: 5, ...overrides };
}

function makeRun(options: Partial<IngestRunOptions> & { params: RunParams }) {
  const source = (options.source as FakeSource | undefined) ?? new FakeSource();
  const sink = (options.sink as FakeSink | undefined) ?? new FakeSink();
  const run = new IngestRun({ id: 'run-1', fetchConcurrency: 2, ...options, source, sink });
  return { run, source, sink };
}

describe('IngestRun', () => {
  it('stops at the record count, sizing the last page to what is left, and produces every user in page order', async () => {
    const before = Date.now();
    const { run, source, sink } = makeRun({ params: params({ records: 12, startPage: 3 }) });
    const status = await run.start();

    expect(status.state).toBe('succeeded');
    expect(source.requests.map((r) => [r.page, r.results])).toEqual([
      [3, 5],
      [4, 5],
      [5, 2],
    ]);
    expect(status.counts).toEqual({ pagesFetched: 3, fetched: 12, valid: 12, invalid: 0, discarded: 0, produced: 12, acknowledged: 12 });
    expect(sink.sent.map((r) => r.id)).toEqual(
      expectedIds('unit', [
        [3, 5],
        [4, 5],
        [5, 2],
      ]),
    );
    expect(sink.sent.every((r) => r.ingested_at >= before && r.ingested_at <= Date.now())).toBe(true);
    expect(status.cursor).toEqual({ seed: 'unit', startPage: 3, nextPage: 6 });
    expect(status.offsets).toEqual({ topic: 'test', partitions: [{ partition: 0, first: 0, last: 11 }] });
    expect(status.errors).toEqual([]);
    expect(status.endedAt).toBeDefined();
    expect(sink.opened && sink.closed).toBe(true);
  });

  it('keeps at most fetchConcurrency pages in flight', async () => {
    const { run, source } = makeRun({ params: params({ records: 40 }), source: new FakeSource({ delayMs: 5 }), fetchConcurrency: 3 });
    await run.start();
    expect(source.requests).toHaveLength(8);
    expect(source.maxInFlight).toBe(3);
  });

  it('counts and logs invalid API records (rate-limited) and never produces them', async () => {
    const broken = new Set(['1:1', '1:3', '2:0']);
    const { logger, lines } = memoryLogger();
    const { run, sink } = makeRun({ params: params({ records: 10 }), source: new FakeSource({ brokenUsers: broken }), logger, invalidLogIntervalMs: 60_000 });
    const status = await run.start();

    expect(status.state).toBe('succeeded');
    expect(status.counts).toMatchObject({ fetched: 10, valid: 7, invalid: 3, produced: 7, acknowledged: 7 });
    const all = expectedIds('unit', [
      [1, 5],
      [2, 5],
    ]);
    expect(sink.sent.map((r) => r.id)).toEqual(all.filter((_, i) => ![1, 3, 5].includes(i)));
    expect(status.errors).toEqual([{ code: 'RECORD_INVALID', message: 'invalid randomuser result: login.uuid (missing)', count: 3 }]);
    const warnings = lines.filter((l) => l.msg === 'invalid API record skipped');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].obj).toMatchObject({ runId: 'run-1', page: 1, index: 1, paths: ['login.uuid'] });
  });

  it('fails with the reason when the API gives up, after flushing: every acknowledged record is reported', async () => {
    const source = new FakeSource({ failPages: new Map([[3, apiGaveUp(503)]]) });
    // Slow acknowledgements: sends of pages 1 and 2 are still in flight when page 3 fails.
    const sink = new FakeSink({ delayMs: 30 });
    const { run } = makeRun({ params: params({ records: 25 }), source, sink });
    const status = await run.start();

    expect(status.state).toBe('failed');
    expect(status.error).toBe('randomuser API, page 3: randomuser API answered HTTP 503 (gave up after 6 attempts)');
    expect(status.errors).toEqual([{ code: 'API_HTTP_ERROR', message: status.error, count: 1 }]);
    expect(status.counts).toMatchObject({ valid: 10, produced: 10, acknowledged: 10 });
    expect(sink.acknowledged).toBe(10);
    expect(sink.inFlight).toBe(0);
    expect(status.cursor.nextPage).toBe(3);
  });

  it('fails when Kafka does not acknowledge, reporting exactly what was acknowledged', async () => {
    const { run } = makeRun({ params: params({ records: 30 }), sink: new FakeSink({ acknowledgeAtMost: 7 }) });
    const status = await run.start();
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/^Kafka did not acknowledge 3 of 5 records: producing to test/);
    expect(status.counts.acknowledged).toBe(7);
    expect(status.counts.produced).toBeGreaterThanOrEqual(10);
    expect(status.errors[0]).toMatchObject({ code: 'KAFKA_PRODUCE_FAILED' });
  });

  it('fails with the reason when the destination cannot be prepared', async () => {
    const { run, source } = makeRun({
      params: params({ records: 5 }),
      sink: new FakeSink({ openError: Object.assign(new Error('preparing topic t: broker down'), { code: 'KAFKA_CONNECT_FAILED' }) }),
    });
    const status = await run.start();
    expect(status.state).toBe('failed');
    expect(status.error).toBe('preparing topic t: broker down');
    expect(source.requests).toHaveLength(0);
  });

  it('stops at the duration bound and flushes what it sent', async () => {
    const sink = new FakeSink({ delayMs: 20 });
    const { run } = makeRun({ params: params({ durationSeconds: 0.3 }), source: new FakeSource({ delayMs: 10 }), sink });
    const started = performance.now();
    const status = await run.start();
    const elapsed = performance.now() - started;

    expect(status.state).toBe('succeeded');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(status.counts.produced).toBeGreaterThan(0);
    expect(status.counts.acknowledged).toBe(status.counts.produced);
    expect(sink.inFlight).toBe(0);
  });

  it('holds the target rate (token bucket on an injected clock)', async () => {
    const clock = new InstantClock();
    const { run, sink } = makeRun({ params: params({ records: 1000, rate: 100, pageSize: 500 }), clock });
    const status = await run.start();

    expect(status.state).toBe('succeeded');
    expect(sink.sent).toHaveLength(1000);
    // Chunks of rate/10 = 10 records; the first goes at once, the 99 others wait 100 ms each.
    expect(clock.now()).toBeCloseTo(9900, 0);
    expect(Math.max(...clock.sleeps)).toBeCloseTo(100, 5);
  });

  it('with a rate, fetches ahead only about five seconds of records', async () => {
    const clock = new InstantClock();
    const source = new FakeSource({ delayMs: 2 });
    const { run } = makeRun({ params: params({ records: 600, rate: 10, pageSize: 100 }), clock, source, fetchConcurrency: 4 });
    const status = await run.start();
    expect(status.counts.acknowledged).toBe(600);
    expect(source.requests).toHaveLength(6);
    // 10 records/s: 50 records of lookahead, so never a second page in flight (4 without the rate).
    expect(source.maxInFlight).toBe(1);
  });

  it('cancels: stops fetching, flushes what is in flight, ends cancelled', async () => {
    const source = new FakeSource({ delayMs: 10 });
    const sink = new FakeSink({ delayMs: 50 });
    const { run } = makeRun({ params: params({ durationSeconds: 3600 }), source, sink });
    const done = run.start();
    await waitFor(() => run.status().counts.produced >= 10, { timeoutMs: 5000, intervalMs: 5 });
    run.cancel('cancelled by test');
    const status = await done;

    expect(status.state).toBe('cancelled');
    expect(status.error).toBe('cancelled by test');
    expect(source.lastSignal?.aborted).toBe(true);
    expect(status.counts.acknowledged).toBe(status.counts.produced);
    expect(sink.inFlight).toBe(0);
    // Nothing happens after the end.
    const requests = source.requests.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(source.requests).toHaveLength(requests);
    expect(run.status()).toEqual(status);
  });

  it('accounts for every user received: fetched = valid + invalid + discarded, also when pages fetched ahead are dropped', async () => {
    const source = new FakeSource({ brokenUsers: new Set(['1:2']) });
    const sink = new FakeSink({ delayMs: 40 });
    const { run } = makeRun({ params: params({ durationSeconds: 3600 }), source, sink, fetchConcurrency: 4 });
    const done = run.start();
    await waitFor(() => run.status().counts.produced >= 10, { timeoutMs: 5000, intervalMs: 5 });
    run.cancel('cancelled by test');
    const { counts } = await done;

    // Pages fetched ahead of the cancel were received and never checked.
    expect(counts.discarded).toBeGreaterThan(0);
    expect(counts.invalid).toBe(1);
    expect(counts.fetched).toBe(counts.valid + counts.invalid + counts.discarded);
  });

  it('says in its status that it waits for the sink, with the reason, while a send is stuck', async () => {
    const sink = new FakeSink({ delayMs: 200 });
    const since = Date.now();
    Object.assign(sink, { waiting: () => ({ since, reason: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' }) });
    const { run } = makeRun({ params: params({ records: 5 }), sink });
    const done = run.start();
    const waiting = await waitFor(() => run.status().waiting, { timeoutMs: 5000, intervalMs: 5 });
    expect(waiting).toEqual({ for: 'kafka', since: new Date(since).toISOString(), reason: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' });
    const status = await done;
    expect(status.state).toBe('succeeded');
    expect(status.waiting).toBeUndefined();
  });

  it('ignores a cancel once the run is over', async () => {
    const { run } = makeRun({ params: params({ records: 5 }) });
    const status = await run.start();
    run.cancel();
    expect(run.status()).toEqual(status);
    expect(status.state).toBe('succeeded');
  });

  it('stops at the last API page of the seed with a note', async () => {
    const { run, source } = makeRun({ params: params({ durationSeconds: 60, startPage: 9999, pageSize: 1 }) });
    const status = await run.start();
    expect(source.requests.map((r) => r.page)).toEqual([9999, 10000]);
    expect(status.state).toBe('succeeded');
    expect(status.cursor.nextPage).toBe(10001);
    expect(status.errors).toEqual([expect.objectContaining({ code: 'PAGE_LIMIT', count: 1 })]);
  });

  it('emits events for metrics', async () => {
    const { run } = makeRun({ params: params({ records: 10 }), source: new FakeSource({ brokenUsers: new Set(['2:2']) }) });
    const seen = { fetched: 0, valid: 0, invalid: 0, produced: 0, acknowledged: 0, finished: '' };
    run.events.on('run.page_fetched', (e) => (seen.fetched += e.records));
    run.events.on('run.records_checked', (e) => {
      seen.valid += e.valid;
      seen.invalid += e.invalid;
    });
    run.events.on('run.records_produced', (e) => (seen.produced += e.records));
    run.events.on('run.records_acknowledged', (e) => (seen.acknowledged += e.records));
    run.events.on('run.finished', (e) => (seen.finished = e.state));
    await run.start();
    expect(seen).toEqual({ fetched: 10, valid: 9, invalid: 1, produced: 9, acknowledged: 9, finished: 'succeeded' });
  });
});
