import { errors, types } from 'cassandra-driver';
import { SinkErrorCode } from './sink.errors';
import { runBatchedWrites, runWrites, type RunWritesOptions, type WriteTask } from './write.runner';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const writeTimeout = () => new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'Operation timed out - received only 0 responses.');
const invalid = () => new errors.ResponseError(types.responseErrorCodes.invalid, 'Undefined column name nope');

function tasks(n: number, tables = ['users']): WriteTask[] {
  return Array.from({ length: n }, (_, index) => ({
    index: index * 2, // positions in the batch need not be contiguous (invalid records are dropped before)
    id: uuid(index),
    statements: tables.map((table) => ({ table, query: `INSERT INTO ${table}`, params: [uuid(index)] })),
  }));
}

/** A fake `client.execute`: behaviour per (query, id) call number; records concurrency and order. */
function fakeExecutor(behaviour: (query: string, id: string, call: number) => Error | undefined, delayMs = 1) {
  const calls = new Map<string, number>();
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const execute = async (query: string, params: unknown[]) => {
    const id = params[0] as string;
    const key = `${query}|${id}`;
    const call = (calls.get(key) ?? 0) + 1;
    calls.set(key, call);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    log.push(`start ${id} ${query}`);
    await new Promise((r) => setTimeout(r, delayMs));
    inFlight--;
    log.push(`end ${id} ${query}`);
    const error = behaviour(query, id, call);
    if (error) throw error;
    return {};
  };
  return { execute, calls, log, maxInFlight: () => maxInFlight };
}

const fast: Omit<RunWritesOptions, 'execute'> = {
  concurrency: 4,
  maxAttempts: 3,
  deadlineMs: 10_000,
  initialDelayMs: 1,
  maxDelayMs: 2,
  stopOnExhausted: true,
};

describe('runWrites', () => {
  it('writes every record with at most `concurrency` in flight, results in task order', async () => {
    const fake = fakeExecutor(() => undefined);
    const results = await runWrites(tasks(20), { ...fast, execute: fake.execute });
    expect(results.map((r) => [r.index, r.status, r.attempts])).toEqual(Array.from({ length: 20 }, (_, i) => [i * 2, 'written', 1]));
    expect(results[3]?.id).toBe(uuid(3));
    expect(fake.maxInFlight()).toBe(4);
  });

  it('reports permanent failures at once and retries transient ones', async () => {
    const retries: Array<[number, number, string]> = [];
    const fake = fakeExecutor((_q, id, call) => {
      if (id === uuid(1)) return invalid();
      if (id === uuid(2) && call === 1) return writeTimeout();
      return undefined;
    });
    const results = await runWrites(tasks(4), {
      ...fast,
      execute: fake.execute,
      onRetry: ({ task, attempt, error }) => retries.push([task.index, attempt, error.code]),
    });
    expect(results.map((r) => r.status)).toEqual(['written', 'failed', 'written', 'written']);
    const failed = results[1];
    if (failed?.status !== 'failed') throw new Error('expected failure');
    expect(failed).toMatchObject({ index: 2, id: uuid(1), code: SinkErrorCode.INVALID_QUERY, retriable: false, attempts: 1 });
    expect(failed.error.message).toBe('writing record 2 to users: Undefined column name nope');
    expect(failed.error.cause).toBeInstanceOf(errors.ResponseError);
    expect(results[2]).toEqual({ index: 4, id: uuid(2), status: 'written', attempts: 2 });
    expect(retries).toEqual([[4, 1, SinkErrorCode.TIMEOUT]]);
    expect(fake.calls.get(`INSERT INTO users|${uuid(1)}`)).toBe(1);
  });

  it('gives up after maxAttempts with a retriable failure and stops starting new records', async () => {
    const fake = fakeExecutor((_q, id) => (id === uuid(0) ? writeTimeout() : undefined), 5);
    const results = await runWrites(tasks(50), { ...fast, concurrency: 2, execute: fake.execute });
    expect(results[0]).toMatchObject({ status: 'failed', code: SinkErrorCode.TIMEOUT, retriable: true, attempts: 3 });
    const notAttempted = results.filter((r) => r.status === 'failed' && r.code === SinkErrorCode.NOT_ATTEMPTED);
    expect(notAttempted.length).toBeGreaterThan(30);
    for (const r of notAttempted) expect(r).toMatchObject({ retriable: true, attempts: 0 });
    if (notAttempted[0]?.status !== 'failed') throw new Error('expected failure');
    expect(notAttempted[0].error.message).toMatch(/not attempted: record 0 failed after 3 attempts \(SINK_TIMEOUT\); the batch stopped early/);
    // Every record is accounted for exactly once: written, failed for good, or not attempted.
    expect(results.every((r, i) => r.index === i * 2)).toBe(true);
    const started = new Set(fake.log.filter((l) => l.startsWith('start')).map((l) => l.split(' ')[1]));
    for (const r of results) expect(started.has(r.id)).toBe(!(r.status === 'failed' && r.code === SinkErrorCode.NOT_ATTEMPTED));
  });

  it('keeps going past an exhausted record when stopOnExhausted is off', async () => {
    const fake = fakeExecutor((_q, id) => (id === uuid(0) ? writeTimeout() : undefined));
    const results = await runWrites(tasks(10), { ...fast, stopOnExhausted: false, execute: fake.execute });
    expect(results.filter((r) => r.status === 'written')).toHaveLength(9);
    expect(results[0]).toMatchObject({ status: 'failed', retriable: true, attempts: 3 });
  });

  it('stops retrying at the deadline and reports the last error as retriable', async () => {
    const fake = fakeExecutor(() => writeTimeout());
    const results = await runWrites(tasks(1), { ...fast, maxAttempts: 100, deadlineMs: 0, execute: fake.execute });
    expect(results[0]).toMatchObject({ status: 'failed', code: SinkErrorCode.TIMEOUT, retriable: true, attempts: 1 });
  });

  it('repeats only the statements that failed when a record goes to two tables', async () => {
    const fake = fakeExecutor((query, _id, call) => (query === 'INSERT INTO reference' && call === 1 ? writeTimeout() : undefined));
    const results = await runWrites(tasks(3, ['users', 'reference']), { ...fast, execute: fake.execute });
    expect(results.every((r) => r.status === 'written' && r.attempts === 2)).toBe(true);
    expect(fake.calls.get(`INSERT INTO users|${uuid(0)}`)).toBe(1);
    expect(fake.calls.get(`INSERT INTO reference|${uuid(0)}`)).toBe(2);
  });

  it('prefers the permanent error when one table fails for good and the other transiently', async () => {
    const fake = fakeExecutor((query) => (query === 'INSERT INTO users' ? writeTimeout() : invalid()));
    const [result] = await runWrites(tasks(1, ['users', 'reference']), { ...fast, execute: fake.execute });
    expect(result).toMatchObject({ status: 'failed', code: SinkErrorCode.INVALID_QUERY, retriable: false, attempts: 1 });
  });

  it('writes records that share an id one after the other, in batch order', async () => {
    const same: WriteTask[] = [0, 1, 2].map((index) => ({
      index,
      id: index === 1 ? uuid(9).toUpperCase() : uuid(9),
      statements: [{ table: 't', query: `Q${index}`, params: [uuid(9)] }],
    }));
    const fake = fakeExecutor(() => undefined, 3);
    const results = await runWrites(same, { ...fast, execute: fake.execute });
    expect(results.map((r) => r.status)).toEqual(['written', 'written', 'written']);
    expect(fake.log).toEqual([
      `start ${uuid(9)} Q0`,
      `end ${uuid(9)} Q0`,
      `start ${uuid(9)} Q1`,
      `end ${uuid(9)} Q1`,
      `start ${uuid(9)} Q2`,
      `end ${uuid(9)} Q2`,
    ]);
  });

  it('reports records not started as retriable when the caller aborts', async () => {
    const controller = new AbortController();
    const fake = fakeExecutor((_q, id) => {
      if (id === uuid(1)) controller.abort();
      return undefined;
    });
    const results = await runWrites(tasks(10), { ...fast, concurrency: 1, execute: fake.execute, signal: controller.signal });
    expect(results.slice(0, 2).map((r) => r.status)).toEqual(['written', 'written']);
    for (const r of results.slice(2)) expect(r).toMatchObject({ status: 'failed', code: SinkErrorCode.NOT_ATTEMPTED, retriable: true });
    expect(fake.calls.size).toBe(2);
  });

  it('measures each record', async () => {
    const latencies: number[] = [];
    const fake = fakeExecutor(() => undefined, 2);
    await runWrites(tasks(5), { ...fast, execute: fake.execute, onLatency: (ms) => latencies.push(ms) });
    expect(latencies).toHaveLength(5);
    for (const ms of latencies) expect(ms).toBeGreaterThanOrEqual(1);
  });

  it('handles an empty batch', async () => {
    await expect(runWrites([], { ...fast, execute: fakeExecutor(() => undefined).execute })).resolves.toEqual([]);
  });
});

describe('runBatchedWrites', () => {
  /** A fake `client.batch`: `behaviour` gets the ids of each call and its number; records calls. */
  function fakeBatch(behaviour: (ids: string[], call: number) => Error | undefined) {
    const calls: string[][] = [];
    const executeBatch = async (statements: Array<{ params: unknown[] }>) => {
      const ids = statements.map((s) => s.params[0] as string);
      calls.push(ids);
      await new Promise((r) => setTimeout(r, 1));
      const error = behaviour(ids, calls.length);
      if (error) throw error;
      return {};
    };
    return { executeBatch, calls };
  }
  const unitsOf = (all: WriteTask[], size: number) => [Array.from({ length: Math.ceil(all.length / size) }, (_, i) => all.slice(i * size, i * size + size))];

  it('writes each unit as one batch and reports every record written', async () => {
    const all = tasks(9);
    const single = fakeExecutor(() => undefined);
    const batch = fakeBatch(() => undefined);
    const results = await runBatchedWrites(unitsOf(all, 4), { ...fast, execute: single.execute, executeBatch: batch.executeBatch });
    expect(batch.calls.map((ids) => ids.length)).toEqual([4, 4]);
    // A unit of one record goes as a plain statement.
    expect([...single.calls.keys()]).toEqual([`INSERT INTO users|${uuid(8)}`]);
    expect(results.map((r) => [r.index, r.status, r.attempts]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(
      Array.from({ length: 9 }, (_, i) => [i * 2, 'written', 1]),
    );
  });

  it('keeps at most `concurrency` records in flight, and runs a unit larger than that alone', async () => {
    let inFlight = 0;
    const seen: number[] = [];
    const executeBatch = async (statements: unknown[]) => {
      inFlight += statements.length;
      seen.push(inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight -= statements.length;
      return {};
    };
    const options = { ...fast, execute: fakeExecutor(() => undefined).execute, executeBatch };
    // Units of 4 records, 10 records in flight: two batches at a time.
    await runBatchedWrites(unitsOf(tasks(24), 4), { ...options, concurrency: 10 });
    expect(Math.max(...seen)).toBe(8);
    expect(seen).toHaveLength(6);
    // Units of 4 with 3 in flight: one batch at a time, never stuck.
    seen.length = 0;
    const results = await runBatchedWrites(unitsOf(tasks(8), 4), { ...options, concurrency: 3 });
    expect(seen).toEqual([4, 4]);
    expect(results.every((r) => r.status === 'written')).toBe(true);
  });

  it('writes a batch refused for good record by record, so exactly the bad record fails', async () => {
    const all = tasks(6);
    const fallbacks: number[][] = [];
    const batch = fakeBatch((ids) => (ids.includes(uuid(4)) ? invalid() : undefined));
    const single = fakeExecutor((_q, id) => (id === uuid(4) ? invalid() : undefined));
    const results = await runBatchedWrites(unitsOf(all, 3), {
      ...fast,
      execute: single.execute,
      executeBatch: batch.executeBatch,
      onFallback: ({ tasks: refused }) => fallbacks.push(refused.map((t) => t.index)),
    });
    expect(fallbacks).toEqual([[6, 8, 10]]);
    const byIndex = new Map(results.map((r) => [r.index, r]));
    expect([...byIndex.values()].filter((r) => r.status === 'failed').map((r) => r.index)).toEqual([8]);
    expect(byIndex.get(8)).toMatchObject({ code: SinkErrorCode.INVALID_QUERY, retriable: false, attempts: 1 });
    // The first batch was not touched by the fallback.
    expect(single.calls.has(`INSERT INTO users|${uuid(0)}`)).toBe(false);
    expect([6, 10].map((i) => byIndex.get(i)?.status)).toEqual(['written', 'written']);
  });

  it('retries a batch whole on a retriable failure', async () => {
    const retried: number[] = [];
    const batch = fakeBatch((_ids, call) => (call === 1 ? writeTimeout() : undefined));
    const results = await runBatchedWrites(unitsOf(tasks(3), 3), {
      ...fast,
      execute: fakeExecutor(() => undefined).execute,
      executeBatch: batch.executeBatch,
      onRetry: ({ attempt }) => retried.push(attempt),
    });
    expect(batch.calls).toHaveLength(2);
    expect(retried).toEqual([1]);
    expect(results.every((r) => r.status === 'written' && r.attempts === 2)).toBe(true);
  });

  it('reports every record of a batch that ran out of retries as retriable, and starts nothing more', async () => {
    const batch = fakeBatch((ids) => (ids.includes(uuid(0)) ? writeTimeout() : undefined));
    const results = await runBatchedWrites(unitsOf(tasks(12), 3), {
      ...fast,
      concurrency: 1,
      execute: fakeExecutor(() => undefined).execute,
      executeBatch: batch.executeBatch,
    });
    expect(results).toHaveLength(12);
    const first = results.filter((r) => [0, 2, 4].includes(r.index));
    for (const r of first) expect(r).toMatchObject({ status: 'failed', code: SinkErrorCode.TIMEOUT, retriable: true, attempts: 3 });
    if (first[1]?.status !== 'failed') throw new Error('expected failure');
    expect(first[1].error.message).toMatch(/^record 2: writing a batch of 3 records/);
    for (const r of results.filter((r) => r.index > 4))
      expect(r).toMatchObject({ status: 'failed', code: SinkErrorCode.NOT_ATTEMPTED, retriable: true, attempts: 0 });
    expect(batch.calls).toHaveLength(3);
  });

  it('runs waves one after the other', async () => {
    const [a, b] = tasks(2);
    const again = { ...a, index: 99 } as WriteTask;
    const order: string[] = [];
    const batch = fakeBatch((ids) => void order.push(`batch ${ids.length}`));
    const single = fakeExecutor(() => undefined);
    await runBatchedWrites([[[a, b] as WriteTask[]], [[again]]], {
      ...fast,
      execute: async (q, p) => {
        order.push('single');
        return single.execute(q, p);
      },
      executeBatch: batch.executeBatch,
    });
    expect(order).toEqual(['batch 2', 'single']);
  });
});
