import { checkRunRequest, InvalidRunParamsError, resolveRunParams, RUN_LIMITS, type RunDeployment } from './index';

const deployment: RunDeployment = { encoding: 'avro', pageSize: 5000, schemaRegistry: false };

function reason(body: unknown, d: RunDeployment | undefined = deployment): string {
  try {
    checkRunRequest(body, d);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRunParamsError);
    return (error as Error).message;
  }
  throw new Error('expected the parameters to be refused');
}

describe('resolveRunParams', () => {
  it('resolves the defaults: a random seed, page 1, the configured encoding and page size', () => {
    const a = resolveRunParams({ records: 10 }, deployment);
    const b = resolveRunParams({ records: 10 }, deployment);
    expect(a).toEqual({ records: 10, seed: expect.stringMatching(/^[0-9a-f]{16}$/), encoding: 'avro', startPage: 1, pageSize: 5000 });
    expect(a.seed).not.toBe(b.seed);
  });

  it('keeps every given parameter and normalises nat', () => {
    expect(
      resolveRunParams(
        { records: 100, durationSeconds: 60, rate: 12.5, seed: 'abc', nat: ' gb, us,GB ', encoding: 'json', startPage: 7, pageSize: 50 },
        deployment,
      ),
    ).toEqual({ records: 100, durationSeconds: 60, rate: 12.5, seed: 'abc', nat: 'GB,US', encoding: 'json', startPage: 7, pageSize: 50 });
  });

  it('accepts a duration alone and confluent with a registry', () => {
    expect(resolveRunParams({ durationSeconds: 0.5, encoding: 'confluent' }, { ...deployment, schemaRegistry: true })).toMatchObject({
      durationSeconds: 0.5,
      encoding: 'confluent',
    });
  });
});

describe('checkRunRequest', () => {
  it('returns the request normalised, without defaults', () => {
    expect(checkRunRequest({ records: 5, nat: 'us,gb,us' })).toEqual({ records: 5, nat: 'US,GB' });
  });

  it('accepts the limits themselves', () => {
    expect(
      checkRunRequest({
        records: RUN_LIMITS.maxRecords,
        durationSeconds: RUN_LIMITS.maxDurationSeconds,
        rate: RUN_LIMITS.minRate,
        seed: 'a'.repeat(128),
        pageSize: 5000,
      }),
    ).toMatchObject({ rate: 0.001 });
    expect(checkRunRequest({ records: 1, rate: RUN_LIMITS.maxRate, seed: 'A-z_0.9', startPage: 10_000 })).toMatchObject({ rate: 1_000_000 });
  });

  it('checks the deployment-dependent rules only with a deployment, or the page bound with an explicit pageSize', () => {
    expect(checkRunRequest({ records: 1, encoding: 'confluent' })).toEqual({ records: 1, encoding: 'confluent' });
    expect(checkRunRequest({ records: 3000, startPage: 10_000 })).toEqual({ records: 3000, startPage: 10_000 });
    expect(reason({ records: 6000, startPage: 10_000 })).toMatch(/would end on page 10001,/);
    expect(reason({ records: 3000, startPage: 9999, pageSize: 1000 }, undefined)).toMatch(/would end on page 10001/);
  });

  it.each([
    ['a non-object body', [1, 2], 'the body must be a JSON object (got an array)'],
    ['a null body', null, 'the body must be a JSON object (got null)'],
    [
      'unknown fields',
      { records: 1, count: 2, foo: 1 },
      'unknown parameters "count", "foo" (allowed: records, durationSeconds, rate, seed, nat, encoding, startPage, pageSize)',
    ],
    [
      'an inherited name',
      JSON.parse('{"records":1,"__proto__":{"x":1}}'),
      'unknown parameter "__proto__" (allowed: records, durationSeconds, rate, seed, nat, encoding, startPage, pageSize)',
    ],
    ['no bound', { rate: 5 }, 'records or durationSeconds is required: a run needs a bound (a record count, a duration, or both)'],
    ['records 0', { records: 0 }, 'records must be an integer from 1 to 10000000 (got 0)'],
    ['records too many', { records: 10_000_001 }, 'records must be an integer from 1 to 10000000 (got 10000001)'],
    ['records fractional', { records: 1.5 }, 'records must be an integer from 1 to 10000000 (got 1.5)'],
    ['records as text', { records: '100' }, 'records must be an integer from 1 to 10000000 (got "100")'],
    ['durationSeconds 0', { durationSeconds: 0 }, 'durationSeconds must be a number greater than 0 and at most 86400 (got 0)'],
    ['durationSeconds over a day', { durationSeconds: 86_401 }, 'durationSeconds must be a number greater than 0 and at most 86400 (got 86401)'],
    ['rate negative', { records: 1, rate: -1 }, 'rate must be a number of records per second from 0.001 to 1000000 (got -1)'],
    ['rate too slow', { records: 1, rate: 0.0009 }, 'rate must be a number of records per second from 0.001 to 1000000 (got 0.0009)'],
    ['rate too fast', { records: 1, rate: 1_000_001 }, 'rate must be a number of records per second from 0.001 to 1000000 (got 1000001)'],
    ['rate infinite', { records: 1, rate: Infinity }, 'rate must be a number of records per second from 0.001 to 1000000 (got Infinity)'],
    ['seed empty', { records: 1, seed: '' }, `seed must be 1 to 128 letters, digits, '_', '-' or '.' (got "")`],
    ['seed too long', { records: 1, seed: 'a'.repeat(129) }, `seed must be 1 to 128 letters, digits, '_', '-' or '.' (got "${'a'.repeat(40)}…")`],
    ['seed with a space', { records: 1, seed: 'a b' }, `seed must be 1 to 128 letters, digits, '_', '-' or '.' (got "a b")`],
    ['seed with a control character', { records: 1, seed: 'a\nb' }, `seed must be 1 to 128 letters, digits, '_', '-' or '.' (got "a\\nb")`],
    ['seed not a string', { records: 1, seed: 42 }, `seed must be 1 to 128 letters, digits, '_', '-' or '.' (got 42)`],
    ['nat not a string', { records: 1, nat: ['gb'] }, 'nat must be a comma-separated string of nationality codes (got an array)'],
    ['nat empty', { records: 1, nat: ' , ' }, 'nat must name at least one nationality'],
    [
      'nat unknown',
      { records: 1, nat: 'gb,xx' },
      'nat: unknown nationality "XX" (known: AU, BR, CA, CH, DE, DK, ES, FI, FR, GB, IE, IN, IR, MX, NL, NO, NZ, RS, TR, UA, US)',
    ],
    ['encoding unknown', { records: 1, encoding: 'xml' }, 'encoding must be one of avro, confluent, json (got "xml")'],
    [
      'confluent without registry',
      { records: 1, encoding: 'confluent' },
      'encoding confluent needs a Schema Registry, and SCHEMA_REGISTRY_URL is not set (use avro or json)',
    ],
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
