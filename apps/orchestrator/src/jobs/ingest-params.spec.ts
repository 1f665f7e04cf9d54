import { ParamsError } from './job.definition';
import { resolveIngestParams } from './ingest-params';

const defaults = { durationSeconds: 60 };

describe('resolveIngestParams', () => {
  it('merges valid parameters over the defaults, normalised as ingest does', () => {
    expect(resolveIngestParams(undefined, defaults)).toEqual({ durationSeconds: 60 });
    expect(resolveIngestParams({ records: 500, rate: 100, seed: 'abc-1', nat: 'us,gb', encoding: 'json', startPage: 3, pageSize: 100 }, defaults)).toEqual({
      durationSeconds: 60,
      records: 500,
      rate: 100,
      seed: 'abc-1',
      nat: 'US,GB',
      encoding: 'json',
      startPage: 3,
      pageSize: 100,
    });
  });

  it('drops a default set to null, but refuses a run with no bound at all', () => {
    expect(resolveIngestParams({ durationSeconds: null, records: 10 }, defaults)).toEqual({ records: 10 });
    expect(() => resolveIngestParams({ durationSeconds: null }, defaults)).toThrow(/records or durationSeconds is required/);
  });

  it.each([
    [{ records: 0 }, 'params: records must be an integer from 1 to 10000000 (got 0)'],
    [{ records: 1.5 }, 'params: records must be an integer'],
    [{ records: 10_000_001 }, 'params: records must be an integer from 1 to 10000000 (got 10000001)'],
    [{ durationSeconds: '60' }, 'params: durationSeconds must be a number greater than 0'],
    [{ rate: -1 }, 'params: rate must be a number of records per second from 0.001 to 1000000 (got -1)'],
    // Hostile: a rate so slow its waits would overflow a Node timer (which then fires at once).
    [{ rate: 0.00001 }, 'params: rate must be a number of records per second from 0.001 to 1000000 (got 0.00001)'],
    [{ rate: Number.MIN_VALUE }, 'params: rate must be a number of records per second from 0.001'],
    // Hostile: names every object inherits must not pass as parameters.
    [{ hasOwnProperty: 1 }, 'params: unknown parameter "hasOwnProperty"'],
    [{ toString: 'x' }, 'params: unknown parameter "toString"'],
    [{ constructor: {} }, 'params: unknown parameter "constructor"'],
    [JSON.parse('{"__proto__": {"records": 5}}'), 'params: unknown parameter "__proto__"'],
    [{ seed: 'a b' }, "params: seed must be 1 to 128 letters, digits, '_', '-' or '.'"],
    [{ nat: 'usa' }, 'params: nat: unknown nationality "USA"'],
    [{ encoding: 'xml' }, 'params: encoding must be one of avro, confluent, json'],
    [{ recrods: 5 }, 'params: unknown parameter "recrods"'],
    [[1, 2], 'params: must be a JSON object'],
    ['fast', 'params: must be a JSON object'],
  ])('refuses %j with the reason', (input, reason) => {
    let error: unknown;
    try {
      resolveIngestParams(input, defaults);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParamsError);
    expect((error as Error).message).toContain(reason);
  });
});
