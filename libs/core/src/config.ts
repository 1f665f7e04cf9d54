import { ConfigError } from './errors';

/** The kinds of values a configuration field can hold. */
export type ConfigKind = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'url' | 'enum';

/** One configuration field: where it comes from, what it means, how to read it. */
export interface ConfigField<T = unknown> {
  /** Environment variable name, e.g. `KAFKA_BROKERS`. */
  env: string;
  kind: ConfigKind;
  description: string;
  /** Used when the variable is unset or empty. A field without default is required. */
  default?: T;
  /** Hidden in logs and documentation output. */
  secret?: boolean;
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

function parseValue(f: ConfigField<unknown>, raw: string): unknown {
  const bad = (why: string) => new ConfigError(`${f.env}: ${why} (got ${f.secret ? '<secret>' : JSON.stringify(raw)})`, { details: { variable: f.env } });
  switch (f.kind) {
    case 'string':
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
      const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
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
export function loadConfig<S extends ConfigSpec>(spec: S, env: Record<string, string | undefined>): ConfigValues<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, f] of Object.entries(spec)) {
    const raw = env[f.env];
    if (raw === undefined || raw.trim() === '') {
      if (f.default !== undefined) out[key] = f.default;
      else if (f.optional) out[key] = undefined;
      else problems.push(`${f.env}: required (${f.description})`);
      continue;
    }
    try {
      out[key] = parseValue(f, raw.trim());
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
    const def = f.secret ? '(secret)' : f.default === undefined ? (f.optional ? '(unset)' : '(required)') : `\`${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}\``;
    return `| \`${f.env}\` | ${def} | ${f.description} |`;
  });
  return ['| variable | default | description |', '| --- | --- | --- |', ...rows].join('\n');
}

/** A copy of `values` with the secret fields of `spec` replaced by `'<redacted>'`, for logging. */
export function redactConfig<S extends ConfigSpec>(spec: S, values: ConfigValues<S>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const [key, f] of Object.entries(spec)) if (f.secret && out[key] !== undefined) out[key] = '<redacted>';
  return out;
}
