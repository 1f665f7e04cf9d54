import { ParamsError } from './job.definition';
import { resolveIngestParams } from './ingest-params';

const defaults = { durationSeconds: 60 };

describe('resolveIngestParams', () => {
  it('merges valid parameters over the defaults', () => {
    expect(resolveIngestParams(undefined, defaults)).toEqual({ durationSeconds: 60 });
    expect(resolveIngestParams({ records: 500, rate: 100, seed: 'abc-1', nat: 'us,gb', encoding: 'json' }, defaults)).toEqual({
      durationSeconds: 60,
      records: 500,
      rate: 100,
      seed: 'abc-1',
      nat: 'us,gb',
      encoding: 'json',
    });
  });

  it('drops a default set to null, but refuses a run with no bound at all', () => {
    expect(resolveIngestParams({ durationSeconds: null, records: 10 }, defaults)).toEqual({ records: 10 });
    expect(() => resolveIngestParams({ durationSeconds: null }, defaults)).toThrow(/give records or durationSeconds/);
  });

  it.each([
    [{ records: 0 }, 'params.records: must be an integer from 1 to 10000000 (got 0)'],
    [{ records: 1.5 }, 'params.records: must be an integer'],
    [{ records: 10_000_001 }, 'params.records: must be an integer from 1 to 10000000 (got 10000001)'],
    [{ durationSeconds: '60' }, 'params.durationSeconds: must be a number of seconds'],
    [{ rate: -1 }, 'params.rate: must be a number of records per second from 0.001 to 1000000 (got -1)'],
    // Hostile: a rate so slow its waits would overflow a Node timer (which then fires at once).
    [{ rate: 0.00001 }, 'params.rate: must be a number of records per second from 0.001 to 1000000 (got 0.00001)'],
    [{ rate: Number.MIN_VALUE }, 'params.rate: must be a number of records per second from 0.001'],
    // Hostile: names every object inherits must not pass as parameters.
    [{ hasOwnProperty: 1 }, 'params.hasOwnProperty: unknown parameter'],
    [{ toString: 'x' }, 'params.toString: unknown parameter'],
    [{ constructor: {} }, 'params.constructor: unknown parameter'],
    [JSON.parse('{"__proto__": {"records": 5}}'), 'params.__proto__: unknown parameter'],
    [{ seed: 'a b' }, 'params.seed: must be 1-100 letters'],
    [{ nat: 'usa' }, 'params.nat: must be comma-separated two-letter nationality codes'],
    [{ encoding: 'xml' }, 'params.encoding: must be one of avro, confluent, json'],
    [{ recrods: 5 }, 'params.recrods: unknown parameter'],
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
