import { batchRowsFor, planBatches, routingKeyOf, statementBytes, taskBytes } from './batch.planner';
import type { WriteTask } from './write.runner';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

function task(index: number, id = uuid(index), params: unknown[] = [id, 'x'.repeat(100)], tables = ['users']): WriteTask {
  return { index, id, statements: tables.map((table) => ({ table, query: `INSERT INTO ${table}`, params })) };
}

const shape = (waves: WriteTask[][][]) => waves.map((units) => units.map((unit) => unit.map((t) => t.index)));

describe('statementBytes', () => {
  it('counts value bytes (UTF-8) plus a per-cell and per-row overhead; unset values are no cell', () => {
    const ascii = statementBytes({ table: 't', query: 'q', params: ['abc'] });
    expect(statementBytes({ table: 't', query: 'q', params: ['abcdef'] }) - ascii).toBe(3);
    // "é" is two bytes in UTF-8.
    expect(statementBytes({ table: 't', query: 'q', params: ['éé'] })).toBe(ascii + 1);
    expect(statementBytes({ table: 't', query: 'q', params: ['abc', undefined] })).toBe(ascii);
    expect(statementBytes({ table: 't', query: 'q', params: ['abc', null] })).toBeGreaterThan(ascii);
    expect(statementBytes({ table: 't', query: 'q', params: ['abc', 1.5, new Date(0)] })).toBeGreaterThan(ascii + 16);
  });

  it('adds up the statements of a record written to two tables', () => {
    const one = task(0);
    const two = task(0, uuid(0), undefined, ['users', 'reference']);
    expect(taskBytes(two)).toBe(2 * taskBytes(one));
  });
});

describe('planBatches', () => {
  it('cuts runs of at most maxRows rows', () => {
    const tasks = Array.from({ length: 7 }, (_, i) => task(i));
    expect(shape(planBatches(tasks, { maxRows: 3, maxBytes: 1e6 }))).toEqual([[[0, 1, 2], [3, 4, 5], [6]]]);
  });

  it('counts a record with two tables as two rows', () => {
    const tasks = Array.from({ length: 4 }, (_, i) => task(i, uuid(i), undefined, ['users', 'reference']));
    expect(shape(planBatches(tasks, { maxRows: 4, maxBytes: 1e6 }))).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
    ]);
  });

  it('cuts at maxBytes and sends a record bigger than the bound on its own', () => {
    const size = taskBytes(task(0));
    const big = task(2, uuid(2), [uuid(2), 'y'.repeat(10 * size)]);
    const tasks = [task(0), task(1), big, task(3), task(4), task(5)];
    expect(shape(planBatches(tasks, { maxRows: 100, maxBytes: 2 * size }))).toEqual([[[0, 1], [2], [3, 4], [5]]]);
  });

  it('puts records that share an id in later waves, in input order', () => {
    const tasks = [task(0), task(1, uuid(0).toUpperCase()), task(2), task(3, uuid(0)), task(4, uuid(2))];
    expect(shape(planBatches(tasks, { maxRows: 10, maxBytes: 1e6 }))).toEqual([[[0, 2]], [[1, 4]], [[3]]]);
  });

  it('groups rows by replica set, token-aware', () => {
    // A fake token map: even ids on nodes a+b, odd ones on b+c (listed in either order), id 9 unknown.
    const ab = [{ address: 'a' }, { address: 'b' }];
    const cb = [{ address: 'c' }, { address: 'b' }];
    const bc = [{ address: 'b' }, { address: 'c' }];
    const replicasOf = (key: Buffer) => {
      const n = key[15] as number;
      if (n === 9) return null;
      return n % 2 === 0 ? ab : n % 4 === 1 ? cb : bc;
    };
    const tasks = Array.from({ length: 10 }, (_, i) => task(i));
    expect(shape(planBatches(tasks, { maxRows: 3, maxBytes: 1e6, replicasOf }))).toEqual([[[0, 2, 4], [6, 8], [1, 3, 5], [7], [9]]]);
  });

  it('makes batches smaller when a wave has few rows for the records in flight, down to single records', () => {
    const many = (n: number, tables?: string[]) => Array.from({ length: n }, (_, i) => task(i, uuid(i), undefined, tables));
    // A trickle: every record on its own, so they share one commit-log sync instead of waiting for each other's.
    expect(shape(planBatches(many(10), { maxRows: 32, maxBytes: 1e6, recordsInFlight: 64 }))).toEqual([[[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]]]);
    expect(batchRowsFor(many(200), { maxRows: 32, recordsInFlight: 64 })).toBe(4);
    expect(planBatches(many(200), { maxRows: 32, maxBytes: 1e6, recordsInFlight: 64 })[0]?.map((u) => u.length)).toEqual(Array(50).fill(4));
    // Under load: full batches.
    expect(batchRowsFor(many(4000), { maxRows: 32, recordsInFlight: 64 })).toBe(32);
    // Two tables: two rows a record.
    expect(batchRowsFor(many(100, ['users', 'reference']), { maxRows: 32, recordsInFlight: 64 })).toBe(4);
    // Without recordsInFlight batches are always filled.
    expect(batchRowsFor(many(10), { maxRows: 32 })).toBe(32);
  });

  it('serializes the uuid partition key as the driver routes it', () => {
    expect(routingKeyOf('00112233-4455-6677-8899-aabbccddeeff').toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });
});
