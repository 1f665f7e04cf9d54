import { parseEnvelope } from './envelope.validator';
import { RandomUserError } from './randomuser.errors';

const expected = { status: 200, url: 'http://x/api/', results: 1, page: 1, seed: 's' };
const user = { login: { uuid: 'u' } };
const good = { results: [user], info: { seed: 's', results: 1, page: 1, version: '1.4' } };

function reason(text: string, exp = expected): unknown {
  try {
    parseEnvelope(text, exp);
  } catch (error) {
    expect(error).toBeInstanceOf(RandomUserError);
    const e = error as RandomUserError;
    return e.code === 'API_BAD_BODY' ? e.details['reason'] : e.code;
  }
  throw new Error('expected parseEnvelope to throw');
}

describe('parseEnvelope', () => {
  it('returns results and info of a good body, records untouched', () => {
    const broken = { ...good, results: [{ location: 'a string' }] };
    expect(parseEnvelope(JSON.stringify(good), expected)).toEqual(good);
    expect(parseEnvelope(JSON.stringify(broken), expected).results).toEqual([{ location: 'a string' }]);
  });

  it('names what is wrong with a bad body', () => {
    expect(reason('')).toBe('empty body');
    expect(reason('<html>oops</html>')).toBe('not JSON');
    expect(reason(JSON.stringify(good).slice(0, 30))).toBe('invalid or truncated JSON');
    expect(reason('[1,2]')).toBe('expected a JSON object, got an array');
    expect(reason('null')).toBe('expected a JSON object, got object');
    expect(reason(JSON.stringify({ ...good, results: {} }))).toBe('"results" is not an array');
    expect(reason(JSON.stringify({ results: [user] }))).toBe('"info" is not an object');
    expect(reason(JSON.stringify({ ...good, info: { page: 1 } }))).toBe('"info.seed" is not a string');
    expect(reason(JSON.stringify({ ...good, info: { seed: 's', page: '1' } }))).toBe('"info.page" is not a number');
    expect(reason(JSON.stringify({ ...good, info: { ...good.info, page: 2 } }))).toBe('asked for page 1, got page 2');
    expect(reason(JSON.stringify({ ...good, info: { ...good.info, seed: 't' } }))).toBe('asked for seed "s", got "t"');
    expect(reason(JSON.stringify({ ...good, results: [user, user] }))).toBe('asked for 1 results, got 2');
  });

  it('keeps a snippet of at most 200 characters and marks bad bodies retriable', () => {
    const text = `<html>${'x'.repeat(1000)}`;
    try {
      parseEnvelope(text, expected);
    } catch (error) {
      const e = error as RandomUserError;
      expect(e.retriable).toBe(true);
      expect((e.details['snippet'] as string).length).toBe(200);
      expect(e.details['status']).toBe(200);
      return;
    }
    throw new Error('expected parseEnvelope to throw');
  });

  it('reports the API error body with its message', () => {
    expect(reason('{"error":"Uh oh"}')).toBe('API_ERROR_BODY');
    try {
      parseEnvelope('{"error":"Uh oh"}', expected);
    } catch (error) {
      expect((error as RandomUserError).details['apiMessage']).toBe('Uh oh');
    }
  });
});
