import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './errors';
import type { ConnectionOptions } from 'node:tls';

/**
 * The kinds of values a configuration field can hold. `file` is the path of
 * a file that must exist and be readable at start (a CA, a certificate, a key).
 */
export type ConfigKind = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'url' | 'enum' | 'file';

/** One configuration field: where it comes from, what it means, how to read it. */
export interface ConfigField<T = unknown> {
  /** Environment variable name, e.g. `KAFKA_BROKERS`. */
  env: string;
  kind: ConfigKind;
  description: string;
  /** Used when the variable is unset or empty. A field without default is required. */
  default?: T;
  /**
   * Hidden in logs and documentation output. A secret can also be read from
   * the file named by `<env>_FILE` (the Docker and Kubernetes secrets
   * convention); setting both is an error.
   */
  secret?: boolean;
  /** Shortest accepted `string` value (checked without echoing a secret). */
  minLength?: number;
  /** Allowed values for `enum`. */
  values?: readonly string[];
  /** Inclusive bounds for `int` and `number`. */
  min?: number;
  max?: number;
  /** Marks a field that may be left unset without a default (value `undefined`). */
  optional?: boolean;
}

type FieldValue<F> = F extends ConfigField<infer T> ? (F extends { optional: true } ? T | undefined : T) : never;

/** The parsed result of a {@link ConfigSpec}. */
export type ConfigValues<S extends Record<string, ConfigField<unknown>>> = { [K in keyof S]: FieldValue<S[K]> };

/** A configuration spec: a field per setting. */
export type ConfigSpec = Record<string, ConfigField<unknown>>;

/**
 * Defines a config field with its value type inferred from `kind`.
 */
export function field<T>(spec: ConfigField<T>): ConfigField<T> {
  return spec;
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Reads `<NAME>_FILE` secrets; injectable for tests. Default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
  /** Checks a `file` field; throws when it is not a readable file. Default: `fs.statSync` + read. */
  checkFile?: (path: string) => void;
}

function defaultCheckFile(path: string): void {
  if (!statSync(path).isFile()) throw new Error('not a regular file');
  readFileSync(path);
}

/** The reason of a file-system error without the stack: `ENOENT`, `EACCES`, ... */
function fsReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

function parseValue(f: ConfigField<unknown>, raw: string, checkFile: (path: string) => void): unknown {
  const bad = (why: string) => new ConfigError(`${f.env}: ${why} (got ${f.secret ? '<secret>' : JSON.stringify(raw)})`, { details: { variable: f.env } });
  switch (f.kind) {
    case 'string':
      if (f.minLength !== undefined && raw.length < f.minLength) {
        // Never the value itself, nor its length when secret: only the rule.
        throw new ConfigError(`${f.env}: must be at least ${f.minLength} characters`, { details: { variable: f.env } });
      }
      return raw;
    case 'file':
      try {
        checkFile(raw);
      } catch (error) {
        throw bad(`cannot read the file (${fsReason(error)})`);
      }
      return raw;
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n) || (f.kind === 'int' && !Number.isInteger(n))) throw bad(`must be ${f.kind === 'int' ? 'an integer' : 'a number'}`);
      if (f.min !== undefined && n < f.min) throw bad(`must be at least ${f.min}`);
      if (f.max !== undefined && n > f.max) throw bad(`must be at most ${f.max}`);
      return n;
    }
    case 'boolean': {
      const v = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw bad('must be true or false');
    }
    case 'list': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (items.length === 0) throw bad('must list at least one value');
      return items;
    }
    case 'url': {
      try {
        return new URL(raw).toString();
      } catch {
        throw bad('must be an absolute URL');
      }
    }
    case 'enum':
      if (!f.values?.includes(raw)) throw bad(`must be one of ${f.values?.join(', ')}`);
      return raw;
  }
}

/**
 * Reads every field of `spec` from `env` (pass `process.env` from the app),
 * applying defaults. Throws one {@link ConfigError} naming every invalid or
 * missing variable.
 *
 * @example
 * ```ts
 * const spec = { brokers: field<string[]>({ env: 'KAFKA_BROKERS', kind: 'list', description: 'Kafka bootstrap servers', default: ['127.0.0.1:9092'] }) };
 * const config = loadConfig(spec, process.env); // config.brokers: string[]
 * ```
 */
export function loadConfig<S extends ConfigSpec>(spec: S, env: Record<string, string | undefined>, options: LoadConfigOptions = {}): ConfigValues<S> {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const checkFile = options.checkFile ?? defaultCheckFile;
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, f] of Object.entries(spec)) {
    let raw = env[f.env];
    const fileVariable = `${f.env}_FILE`;
    const file = f.secret ? env[fileVariable]?.trim() : undefined;
    if (file) {
      if (raw !== undefined && raw.trim() !== '') {
        problems.push(`${f.env}: set either ${f.env} or ${fileVariable}, not both`);
        continue;
      }
      try {
        // A trailing newline is how editors and `echo` write files; it is never part of the secret.
        raw = readFile(file).replace(/\r?\n$/, '');
      } catch (error) {
        problems.push(`${fileVariable}: cannot read ${JSON.stringify(file)} (${fsReason(error)})`);
        continue;
      }
      if (raw.trim() === '') {
        problems.push(`${fileVariable}: ${JSON.stringify(file)} is empty`);
        continue;
      }
    }
    if (raw === undefined || raw.trim() === '') {
      if (f.default !== undefined) out[key] = f.default;
      else if (f.optional) out[key] = undefined;
      else problems.push(`${f.env}: required (${f.description})`);
      continue;
    }
    try {
      out[key] = parseValue(f, raw.trim(), checkFile);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, {
      details: { variables: problems.map((p) => p.split(':')[0]) },
    });
  }
  return out as ConfigValues<S>;
}

/** Renders a spec as Markdown table rows (variable, default, description) for READMEs. */
export function describeConfig(spec: ConfigSpec): string {
  const rows = Object.values(spec).map((f) => {
    const def = f.secret
      ? '(secret)'
      : f.default === undefined
        ? f.optional
          ? '(unset)'
          : '(required)'
        : `\`${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}\``;
    return `| \`${f.env}\` | ${def} | ${f.description} |`;
  });
  return ['| variable | default | description |', '| --- | --- | --- |', ...rows].join('\n');
}

/**
 * `url` without the user name and password it may carry
 * (`https://user:pw@host/` → `https://<redacted>@host/`), for logs and
 * error messages. Anything that is not an absolute URL comes back unchanged.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = 'redacted';
    parsed.password = '';
    return parsed.toString().replace('redacted@', '<redacted>@');
  } catch {
    return url;
  }
}

/**
 * A copy of the fields of `spec` in `values` for logging: secret fields
 * replaced by `'<redacted>'`, credentials inside `url` fields removed, and
 * anything in `values` that is not a field of `spec` left out.
 */
export function redactConfig<S extends ConfigSpec>(spec: S, values: ConfigValues<S>): Record<string, unknown> {
  // Only the fields of the spec: values derived from them (client options holding a password or a key) never come along.
  const source = values as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(spec)) {
    const value = source[key];
    if (value === undefined) out[key] = undefined;
    else if (f.secret) out[key] = '<redacted>';
    else if (f.kind === 'url' && typeof value === 'string') out[key] = redactUrl(value);
    else out[key] = value;
  }
  return out;
}

/** The TLS settings of one kind of peer, as {@link tlsConfigFields} names them. */
export type TlsConfigFields<P extends string> = { [K in `${P}Ssl`]: ConfigField<boolean> } & {
  [K in `${P}SslCaFile` | `${P}SslCertFile` | `${P}SslKeyFile` | `${P}SslServername`]: ConfigField<string> & { optional: true };
};

/**
 * The TLS settings for connections to one kind of peer: `<ENV>_SSL`,
 * `<ENV>_SSL_CA_FILE`, `<ENV>_SSL_CERT_FILE`, `<ENV>_SSL_KEY_FILE` and
 * `<ENV>_SSL_SERVERNAME`, as fields keyed `<key>Ssl`, `<key>SslCaFile`, ...
 * Any of the last four turns TLS on. Pass the values to {@link tlsOptionsFromFiles}.
 *
 * @example
 * ```ts
 * const spec = { ...tlsConfigFields('cassandra', 'CASSANDRA', 'the Cassandra nodes') };
 * // CASSANDRA_SSL, CASSANDRA_SSL_CA_FILE, CASSANDRA_SSL_CERT_FILE, CASSANDRA_SSL_KEY_FILE, CASSANDRA_SSL_SERVERNAME
 * ```
 */
export function tlsConfigFields<P extends string>(key: P, env: string, peer: string): TlsConfigFields<P> {
  return {
    [`${key}Ssl`]: field<boolean>({
      env: `${env}_SSL`,
      kind: 'boolean',
      default: false,
      description: `TLS to ${peer} (certificates checked against the system CAs, or ${env}_SSL_CA_FILE)`,
    }),
    [`${key}SslCaFile`]: field<string>({
      env: `${env}_SSL_CA_FILE`,
      kind: 'file',
      optional: true,
      description: `PEM file of the CA(s) that signed the certificates of ${peer}, instead of the system CAs; turns TLS on`,
    }),
    [`${key}SslCertFile`]: field<string>({
      env: `${env}_SSL_CERT_FILE`,
      kind: 'file',
      optional: true,
      description: `PEM client certificate for ${peer} (mutual TLS; needs ${env}_SSL_KEY_FILE); turns TLS on`,
    }),
    [`${key}SslKeyFile`]: field<string>({
      env: `${env}_SSL_KEY_FILE`,
      kind: 'file',
      optional: true,
      description: `PEM private key of ${env}_SSL_CERT_FILE; turns TLS on`,
    }),
    [`${key}SslServername`]: field<string>({
      env: `${env}_SSL_SERVERNAME`,
      kind: 'string',
      optional: true,
      description: `server name (SNI) sent to ${peer} and checked against their certificates; turns TLS on`,
    }),
  } as TlsConfigFields<P>;
}

/** What {@link tlsOptionsFromFiles} turns into Node TLS options. */
export interface TlsFileSettings {
  enabled: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  servername?: string;
  /** Prefix of the variables, for error messages (`KAFKA`, `CASSANDRA`). */
  envPrefix: string;
  /** Reads a file; injectable for tests. Default `fs.readFileSync`. */
  readFile?: (path: string) => Buffer;
}

/**
 * Node TLS options (`ca`, `cert`, `key`, `servername`, always
 * `rejectUnauthorized: true`) from file settings, or undefined when TLS is
 * off. Throws ConfigError naming the variable when only one of the
 * certificate and the key is given or a file cannot be read.
 */
export function tlsOptionsFromFiles(settings: TlsFileSettings): ConnectionOptions | undefined {
  const { caFile, certFile, keyFile, servername, envPrefix } = settings;
  if (!settings.enabled && !caFile && !certFile && !keyFile && !servername) return undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    const missing = certFile ? `${envPrefix}_SSL_KEY_FILE` : `${envPrefix}_SSL_CERT_FILE`;
    throw new ConfigError(
      `${missing}: required with ${certFile ? `${envPrefix}_SSL_CERT_FILE` : `${envPrefix}_SSL_KEY_FILE`} (a client certificate needs its key)`,
      {
        details: { variable: missing },
      },
    );
  }
  const read = settings.readFile ?? ((path: string) => readFileSync(path));
  const load = (variable: string, path: string): Buffer => {
    try {
      return read(path);
    } catch (error) {
      throw new ConfigError(`${envPrefix}_${variable}: cannot read ${JSON.stringify(path)} (${fsReason(error)})`, {
        details: { variable: `${envPrefix}_${variable}` },
      });
    }
  };
  return {
    rejectUnauthorized: true,
    ...(caFile ? { ca: [load('SSL_CA_FILE', caFile)] } : {}),
    ...(certFile && keyFile ? { cert: load('SSL_CERT_FILE', certFile), key: load('SSL_KEY_FILE', keyFile) } : {}),
    ...(servername ? { servername } : {}),
  };
}

/**
 * {@link tlsOptionsFromFiles} for the values of {@link tlsConfigFields}`(key, env, …)`.
 *
 * @example
 * ```ts
 * const ssl = tlsOptionsFromConfig(config, 'cassandra', 'CASSANDRA'); // undefined when TLS is off
 * ```
 */
export function tlsOptionsFromConfig<P extends string>(config: ConfigValues<TlsConfigFields<P>>, key: P, env: string): ConnectionOptions | undefined {
  const values = config as Record<string, unknown>;
  const text = (suffix: string) => values[`${key}${suffix}`] as string | undefined;
  return tlsOptionsFromFiles({
    enabled: values[`${key}Ssl`] === true,
    caFile: text('SslCaFile'),
    certFile: text('SslCertFile'),
    keyFile: text('SslKeyFile'),
    servername: text('SslServername'),
    envPrefix: env,
  });
}
