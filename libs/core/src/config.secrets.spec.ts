import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './errors';
import { field, loadConfig, redactConfig, redactUrl, tlsConfigFields, tlsOptionsFromConfig, tlsOptionsFromFiles } from './config';

const dir = mkdtempSync(join(tmpdir(), 'userstream-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const spec = {
  password: field<string>({ env: 'DB_PASSWORD', kind: 'string', secret: true, optional: true, minLength: 8, description: 'secret' }),
  user: field<string>({ env: 'DB_USER', kind: 'string', optional: true, description: 'not secret' }),
  registry: field<string>({ env: 'REGISTRY_URL', kind: 'url', optional: true, description: 'a URL' }),
  ca: field<string>({ env: 'CA_FILE', kind: 'file', optional: true, description: 'a CA file' }),
};

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('secrets from <NAME>_FILE', () => {
  it('reads a secret from the file, without its trailing newline', () => {
    expect(loadConfig(spec, { DB_PASSWORD_FILE: file('pw', 'from-the-file\n') }).password).toBe('from-the-file');
    expect(loadConfig(spec, { DB_PASSWORD_FILE: file('pw-crlf', 'from-the-file\r\n') }).password).toBe('from-the-file');
  });

  it('applies the same rules to a secret from a file', () => {
    expect(errorOf(() => loadConfig(spec, { DB_PASSWORD_FILE: file('short', 'abc\n') })).message).toContain('DB_PASSWORD: must be at least 8 characters');
  });

  it('refuses both the variable and the file, an unreadable file and an empty one, naming the variable and never the value', () => {
    const both = errorOf(() => loadConfig(spec, { DB_PASSWORD: 'in-the-env-value', DB_PASSWORD_FILE: file('pw2', 'in-the-file-value') }));
    expect(both.message).toContain('DB_PASSWORD: set either DB_PASSWORD or DB_PASSWORD_FILE, not both');
    expect(both.message).not.toMatch(/in-the-(env|file)-value/);
    expect(errorOf(() => loadConfig(spec, { DB_PASSWORD_FILE: join(dir, 'missing') })).message).toContain(
      `DB_PASSWORD_FILE: cannot read "${join(dir, 'missing')}" (ENOENT)`,
    );
    expect(errorOf(() => loadConfig(spec, { DB_PASSWORD_FILE: file('empty', '\n') })).message).toContain('DB_PASSWORD_FILE: ');
  });

  it('reads _FILE only for secrets', () => {
    expect(loadConfig(spec, { DB_USER_FILE: file('user', 'someone') }).user).toBeUndefined();
  });

  it('never echoes a short secret', () => {
    const error = errorOf(() => loadConfig(spec, { DB_PASSWORD: 'hunter2' }));
    expect(error.message).toBe('invalid configuration: DB_PASSWORD: must be at least 8 characters');
  });
});

describe('file settings', () => {
  it('accept a readable file and refuse a missing one or a directory, naming the variable', () => {
    const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\n');
    expect(loadConfig(spec, { CA_FILE: ca }).ca).toBe(ca);
    expect(errorOf(() => loadConfig(spec, { CA_FILE: join(dir, 'nope.pem') })).message).toContain('CA_FILE: cannot read the file (ENOENT)');
    expect(errorOf(() => loadConfig(spec, { CA_FILE: dir })).message).toContain('CA_FILE: cannot read the file (not a regular file)');
  });
});

describe('redaction', () => {
  it('removes credentials from URLs and leaves everything else', () => {
    expect(redactUrl('https://key:s3cret@registry.example:8081/path')).toBe('https://<redacted>@registry.example:8081/path');
    expect(redactUrl('https://key@registry.example/')).toBe('https://<redacted>@registry.example/');
    expect(redactUrl('http://127.0.0.1:8081/')).toBe('http://127.0.0.1:8081/');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('logs only the fields of the spec: secrets hidden, URL credentials removed, derived values left out', () => {
    const values = loadConfig(spec, { DB_PASSWORD: 'a-long-password', REGISTRY_URL: 'https://key:s3cret@registry.example/' });
    const derived = { ...values, client: { sasl: { password: 'a-long-password' } } };
    const logged = JSON.stringify(redactConfig(spec, derived));
    expect(logged).not.toContain('a-long-password');
    expect(logged).not.toContain('s3cret');
    expect(JSON.parse(logged)).toEqual({ password: '<redacted>', registry: 'https://<redacted>@registry.example/' });
  });
});

describe('TLS settings', () => {
  const tlsSpec = tlsConfigFields('db', 'DB', 'the database');

  it('are named after the prefix and turn into Node TLS options with the files read', () => {
    expect(Object.values(tlsSpec).map((f) => f.env)).toEqual(['DB_SSL', 'DB_SSL_CA_FILE', 'DB_SSL_CERT_FILE', 'DB_SSL_KEY_FILE', 'DB_SSL_SERVERNAME']);
    expect(tlsOptionsFromConfig(loadConfig(tlsSpec, {}), 'db', 'DB')).toBeUndefined();
    expect(tlsOptionsFromConfig(loadConfig(tlsSpec, { DB_SSL: 'true' }), 'db', 'DB')).toEqual({ rejectUnauthorized: true });
    const ca = file('db-ca.pem', 'CA');
    const cert = file('db-cert.pem', 'CERT');
    const key = file('db-key.pem', 'KEY');
    const options = tlsOptionsFromConfig(
      loadConfig(tlsSpec, { DB_SSL_CA_FILE: ca, DB_SSL_CERT_FILE: cert, DB_SSL_KEY_FILE: key, DB_SSL_SERVERNAME: 'db.internal' }),
      'db',
      'DB',
    );
    expect(options).toEqual({
      rejectUnauthorized: true,
      ca: [Buffer.from('CA')],
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      servername: 'db.internal',
    });
  });

  it('refuse a certificate without its key, naming the missing variable', () => {
    const cert = file('lonely-cert.pem', 'CERT');
    expect(errorOf(() => tlsOptionsFromFiles({ enabled: true, certFile: cert, envPrefix: 'DB' })).message).toBe(
      'DB_SSL_KEY_FILE: required with DB_SSL_CERT_FILE (a client certificate needs its key)',
    );
    expect(errorOf(() => tlsOptionsFromFiles({ enabled: false, caFile: join(dir, 'gone.pem'), envPrefix: 'DB' })).message).toContain(
      'DB_SSL_CA_FILE: cannot read',
    );
  });
});
