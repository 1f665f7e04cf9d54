import { ConfigError } from './errors';
import { OptionsChecker } from './options-checker';

describe('OptionsChecker', () => {
  it('returns good values, fallbacks for absent ones, and throws nothing', () => {
    const check = new OptionsChecker('invalid options');
    expect(check.int('batch', 5, { min: 1, max: 10 })).toBe(5);
    expect(check.int('batch', undefined, { min: 1 }, 500)).toBe(500);
    expect(check.number('rate', 0.5, { min: 0.001 })).toBe(0.5);
    expect(check.bool('strict', undefined, true)).toBe(true);
    expect(check.string('name', 'users')).toBe('users');
    expect(check.oneOf('level', 'warn', ['warn', 'error'] as const)).toBe('warn');
    expect(check.custom('host', 'a:1', (v) => (v.includes(':') ? undefined : 'needs a port'))).toBe('a:1');
    expect(() => check.done()).not.toThrow();
  });

  it('collects every problem into one ConfigError naming each option', () => {
    const check = new OptionsChecker('invalid sink options');
    expect(check.int('write.concurrency', 0, { min: 1, max: 4096 }, 64)).toBe(64);
    check.int('retries', 1.5, { min: 0 });
    check.int('any', 'x');
    check.number('timeoutMs', Number.NaN, { max: 10 });
    check.bool('strict', 'yes');
    check.string('clientId', '  ');
    check.oneOf('level', 'loud', ['warn', 'error']);
    check.custom('host', 'a', () => 'needs a port');
    check.add('', 'brokers must list at least one address');
    const error = (() => {
      try {
        check.done();
      } catch (e) {
        return e;
      }
      return undefined;
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.details['problems']).toEqual([
      'write.concurrency: must be an integer from 1 to 4096 (got 0)',
      'retries: must be an integer of at least 0 (got 1.5)',
      'any: must be an integer (got "x")',
      'timeoutMs: must be a number of at most 10 (got NaN)',
      'strict: must be true or false (got "yes")',
      'clientId: must be a non-empty string (got "  ")',
      'level: must be one of warn, error (got "loud")',
      'host: needs a port',
      'brokers must list at least one address',
    ]);
    expect(error.message.startsWith('invalid sink options: write.concurrency: must be an integer from 1 to 4096 (got 0); retries:')).toBe(true);
  });
});
