import { InvalidRunParamsError, validateRunParams, type RunDefaults } from './run-params.validator';

const defaults: RunDefaults = { encoding: 'avro', pageSize: 5000, schemaRegistry: false };

function reason(body: unknown, d: RunDefaults = defaults): string {
  try {
    validateRunParams(body, d);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRunParamsError);
    return (error as Error).message;
  }
  throw new Error('expected the parameters to be refused');
}

describe('validateRunParams', () => {
  it('resolves the defaults: a random seed, page 1, the configured encoding and page size', () => {
    const a = validateRunParams({ records: 10 }, defaults);
    const b = validateRunParams({ records: 10 }, defaults);
    expect(a).toEqual({ records: 10, seed: expect.stringMatching(/^[0-9a-f]{16}$/), encoding: 'avro', startPage: 1, pageSize: 5000 });
    expect(a.seed).not.toBe(b.seed);
  });

  it('keeps every given parameter and normalises nat', () => {
    expect(
      validateRunParams({ records: 100, durationSeconds: 60, rate: 12.5, seed: 'abc', nat: ' gb, us,GB ', encoding: 'json', startPage: 7, pageSize: 50 }, defaults),
    ).toEqual({ records: 100, durationSeconds: 60, rate: 12.5, seed: 'abc', nat: 'GB,US', encoding: 'json', startPage: 7, pageSize: 50 });
  });

  it('accepts a duration alone and confluent with a registry', () => {
    expect(validateRunParams({ durationSeconds: 0.5, encoding: 'confluent' }, { ...defaults, schemaRegistry: true })).toMatchObject({ durationSeconds: 0.5, encoding: 'confluent' });
  });

  it.each([
    ['a non-object body', [1, 2], 'the body must be a JSON object (got an array)'],
    ['a null body', null, 'the body must be a JSON object (got null)'],
    ['unknown fields', { records: 1, count: 2, foo: 1 }, 'unknown parameters "count", "foo" (allowed: records, durationSeconds, rate, seed, nat, encoding, startPage, pageSize)'],
    ['no bound', { rate: 5 }, 'records or durationSeconds is required: a run needs a bound (a record count, a duration, or both)'],
    ['records 0', { records: 0 }, 'records must be an integer from 1 to 10000000 (got 0)'],
    ['records too many', { records: 10_000_001 }, 'records must be an integer from 1 to 10000000 (got 10000001)'],
    ['records fractional', { records: 1.5 }, 'records must be an integer from 1 to 10000000 (got 1.5)'],
    ['records as text', { records: '100' }, 'records must be an integer from 1 to 10000000 (got "100")'],
    ['durationSeconds 0', { durationSeconds: 0 }, 'durationSeconds must be a number greater than 0 and at most 86400 (got 0)'],
    ['durationSeconds over a day', { durationSeconds: 86_401 }, 'durationSeconds must be a number greater than 0 and at most 86400 (got 86401)'],
    ['rate negative', { records: 1, rate: -1 }, 'rate must be a number greater than 0 and at most 9007199254740991 (got -1)'],
    ['seed empty', { records: 1, seed: '' }, 'seed must be a non-empty string of at most 128 printable characters (got "")'],
    ['seed with a control character', { records: 1, seed: 'a\nb' }, 'seed must be a non-empty string of at most 128 printable characters (got "a\\nb")'],
    ['seed not a string', { records: 1, seed: 42 }, 'seed must be a non-empty string of at most 128 printable characters (got 42)'],
    ['nat not a string', { records: 1, nat: ['gb'] }, 'nat must be a comma-separated string of nationality codes (got an array)'],
    ['nat empty', { records: 1, nat: ' , ' }, 'nat must name at least one nationality'],
    ['nat unknown', { records: 1, nat: 'gb,xx' }, 'nat: unknown nationality "XX" (known: AU, BR, CA, CH, DE, DK, ES, FI, FR, GB, IE, IN, IR, MX, NL, NO, NZ, RS, TR, UA, US)'],
    ['encoding unknown', { records: 1, encoding: 'xml' }, 'encoding must be one of avro, confluent, json (got "xml")'],
    ['confluent without registry', { records: 1, encoding: 'confluent' }, 'encoding confluent needs a Schema Registry, and SCHEMA_REGISTRY_URL is not set (use avro or json)'],
    ['startPage 0', { records: 1, startPage: 0 }, 'startPage must be an integer from 1 to 10000 (got 0)'],
    ['pageSize too large', { records: 1, pageSize: 5001 }, 'pageSize must be an integer from 1 to 5000 (got 5001)'],
    [
      'records past the last page',
      { records: 3000, pageSize: 1, startPage: 8000 },
      "records: 3000 users from page 8000 in pages of 1 would end on page 10999, past the API's last page 10000 (use a larger pageSize, an earlier startPage or fewer records)",
    ],
  ])('refuses %s', (_name, body, message) => {
    expect(reason(body)).toBe(message);
  });
});
