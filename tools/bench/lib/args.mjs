// Command-line flags shared by every benchmark.
//
//   --records N        records to move (1_000_000, 1e6, 300k and 1M are all accepted)
//   --smoke            the reduced CI run (small counts, short steps)
//   --env KEY=VALUE    extra environment for the app under test (repeatable)
//   --out DIR          results root (default <repo>/bench-results)
//   --keep             keep the topics and keyspaces the benchmark created
//   --<name> <value> / --<name>=<value> / --<flag> / --no-<flag>   anything else

/** Parses `1000`, `1_000`, `1,000`, `1e6`, `300k`, `1M`. Throws on anything else. */
export function parseCount(text, name = 'value') {
  const raw = String(text).trim().replace(/[_,]/g, '');
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(raw);
  if (!match) throw new Error(`--${name}: expected a number like 50000, 300k or 1M (got ${JSON.stringify(text)})`);
  const factor = match[2] === '' ? 1 : match[2].toLowerCase() === 'k' ? 1e3 : 1e6;
  const value = Number(match[1]) * factor;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: not a usable number (${text})`);
  return Math.round(value);
}

/** Parses `argv` into `{ flags, env, positional }`. Values stay strings; use the helpers below. */
export function parseArgs(argv = process.argv.slice(2)) {
  const flags = {};
  const env = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      value = argv[++i];
    } else if (name.startsWith('no-')) {
      name = name.slice(3);
      value = 'false';
    } else {
      value = 'true';
    }
    if (name === 'env') {
      const at = value.indexOf('=');
      if (at <= 0) throw new Error(`--env: expected KEY=VALUE (got ${JSON.stringify(value)})`);
      env[value.slice(0, at)] = value.slice(at + 1);
    } else {
      flags[name] = value;
    }
  }
  return { flags, env, positional };
}

/** Typed access to parsed flags with defaults. */
export class Options {
  constructor(parsed) {
    this.flags = parsed.flags;
    this.env = parsed.env;
    this.positional = parsed.positional;
  }

  has(name) {
    return this.flags[name] !== undefined;
  }

  bool(name, fallback = false) {
    const v = this.flags[name];
    if (v === undefined) return fallback;
    if (v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 'false' || v === '0' || v === 'no') return false;
    throw new Error(`--${name}: expected true or false (got ${JSON.stringify(v)})`);
  }

  count(name, fallback) {
    const v = this.flags[name];
    return v === undefined ? fallback : parseCount(v, name);
  }

  number(name, fallback) {
    const v = this.flags[name];
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number (got ${JSON.stringify(v)})`);
    return n;
  }

  string(name, fallback) {
    return this.flags[name] ?? fallback;
  }

  /** A comma list of counts, e.g. `--concurrency 16,32,64`. */
  counts(name, fallback) {
    const v = this.flags[name];
    if (v === undefined) return fallback;
    return v
      .split(',')
      .filter(Boolean)
      .map((part) => parseCount(part, name));
  }

  /** The flags back as an argv (for running another benchmark with the same settings). */
  toArgv(skip = []) {
    const argv = [];
    for (const [k, v] of Object.entries(this.flags)) if (!skip.includes(k)) argv.push(`--${k}=${v}`);
    for (const [k, v] of Object.entries(this.env)) argv.push('--env', `${k}=${v}`);
    return argv;
  }
}

export function options(argv) {
  return new Options(parseArgs(argv));
}
