import { ConfigError } from './errors';
import { describeConfig, field, loadConfig, redactConfig } from './config';

const spec = {
  brokers: field<string[]>({ env: 'KAFKA_BROKERS', kind: 'list', description: 'bootstrap servers', default: ['127.0.0.1:9092'] }),
  port: field<number>({ env: 'PORT', kind: 'int', description: 'HTTP port', default: 3001, min: 1, max: 65535 }),
  encoding: field<string>({ env: 'ENCODING', kind: 'enum', values: ['avro', 'json'], description: 'wire encoding', default: 'avro' }),
  password: field<string>({ env: 'PASSWORD', kind: 'string', description: 'secret', secret: true, optional: true }),
  apiUrl: field<string>({ env: 'API_URL', kind: 'url', description: 'API base URL' }),
};

describe('loadConfig', () => {
  it('applies defaults and parses values', () => {
    const config = loadConfig(spec, { API_URL: 'http://127.0.0.1:3100/api/', KAFKA_BROKERS: 'a:1, b:2', PORT: '8080' });
    expect(config).toEqual({
      brokers: ['a:1', 'b:2'],
      port: 8080,
      encoding: 'avro',
      password: undefined,
      apiUrl: 'http://127.0.0.1:3100/api/',
    });
  });

  it('names every bad or missing variable in one error', () => {
    let error: unknown;
    try {
      loadConfig(spec, { PORT: '70000', ENCODING: 'xml' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT: must be at most 65535');
    expect(message).toContain('ENCODING: must be one of avro, json');
    expect(message).toContain('API_URL: required');
  });

  it('never prints secret values', () => {
    const values = loadConfig(spec, { API_URL: 'http://x/', PASSWORD: 'hunter2' });
    expect(redactConfig(spec, values).password).toBe('<redacted>');
    expect(describeConfig(spec)).not.toContain('hunter2');
    expect(describeConfig(spec)).toContain('| `KAFKA_BROKERS` | `127.0.0.1:9092` | bootstrap servers |');
  });
});
