import { ConfigError } from './errors';

/** Bounds of a number option; both inclusive. */
export interface NumberBounds {
  min?: number;
  max?: number;
}

/**
 * Checks a library's options object and collects every problem, so one
 * {@link ConfigError} names them all (`<context>: <path>: <problem>; …`).
 * Each check returns the value when it is fine, the fallback when it is
 * absent (`undefined`), and the fallback (or `undefined`) after recording
 * a problem, so resolving can go on to find the next one.
 *
 * @example
 * ```ts
 * const check = new OptionsChecker('invalid sink options');
 * const concurrency = check.int('write.concurrency', options.write?.concurrency, { min: 1, max: 4096 }, 64);
 * const strict = check.bool('strict', options.strict, false);
 * check.done(); // throws ConfigError when any check failed
 * ```
 */
export class OptionsChecker {
  /** The problems found so far, each `<path>: <problem>`. */
  readonly problems: string[] = [];

  /** @param context prefix of the error message, e.g. `invalid kafka producer options`. */
  constructor(readonly context: string) {}

  /** Records a problem with the option at `path`. */
  add(path: string, problem: string): void {
    this.problems.push(path === '' ? problem : `${path}: ${problem}`);
  }

  /** An integer within `bounds` (default: any integer). */
  int(path: string, value: unknown, bounds?: NumberBounds): number | undefined;
  int(path: string, value: unknown, bounds: NumberBounds, fallback: number): number;
  int(path: string, value: unknown, bounds: NumberBounds = {}, fallback?: number): number | undefined {
    return this.bounded(path, value, bounds, fallback, 'an integer', Number.isInteger);
  }

  /** A finite number within `bounds`. */
  number(path: string, value: unknown, bounds?: NumberBounds): number | undefined;
  number(path: string, value: unknown, bounds: NumberBounds, fallback: number): number;
  number(path: string, value: unknown, bounds: NumberBounds = {}, fallback?: number): number | undefined {
    return this.bounded(path, value, bounds, fallback, 'a number', Number.isFinite);
  }

  /** `true` or `false`. */
  bool(path: string, value: unknown): boolean | undefined;
  bool(path: string, value: unknown, fallback: boolean): boolean;
  bool(path: string, value: unknown, fallback?: boolean): boolean | undefined {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.add(path, `must be true or false (got ${show(value)})`);
      return fallback;
    }
    return value;
  }

  /** A non-empty string. */
  string(path: string, value: unknown): string | undefined;
  string(path: string, value: unknown, fallback: string): string;
  string(path: string, value: unknown, fallback?: string): string | undefined {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.trim() === '') {
      this.add(path, `must be a non-empty string (got ${show(value)})`);
      return fallback;
    }
    return value;
  }

  /** One of `values`. */
  oneOf<T extends string>(path: string, value: unknown, values: readonly T[]): T | undefined;
  oneOf<T extends string>(path: string, value: unknown, values: readonly T[], fallback: T): T;
  oneOf<T extends string>(path: string, value: unknown, values: readonly T[], fallback?: T): T | undefined {
    if (value === undefined) return fallback;
    if (!(values as readonly unknown[]).includes(value)) {
      this.add(path, `must be one of ${values.join(', ')} (got ${show(value)})`);
      return fallback;
    }
    return value as T;
  }

  /** A custom check: `problem(value)` returns a description of what is wrong, or `undefined`. */
  custom<T>(path: string, value: T | undefined, problem: (value: T) => string | undefined): T | undefined {
    if (value === undefined) return undefined;
    const found = problem(value);
    if (found === undefined) return value;
    this.add(path, found);
    return undefined;
  }

  private bounded(
    path: string,
    value: unknown,
    bounds: NumberBounds,
    fallback: number | undefined,
    kind: string,
    test: (n: number) => boolean,
  ): number | undefined {
    if (value === undefined) return fallback;
    const { min = -Infinity, max = Infinity } = bounds;
    if (typeof value !== 'number' || !test(value) || value < min || value > max) {
      this.add(path, `must be ${kind} ${range(bounds)}(got ${show(value)})`);
      return fallback;
    }
    return value;
  }

  /** Throws one {@link ConfigError} naming every problem (`details.problems` lists them), or returns when there is none. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(`${this.context}: ${this.problems.join('; ')}`, { details: { problems: [...this.problems] } });
  }
}

function range({ min, max }: NumberBounds): string {
  const hasMin = min !== undefined && Number.isFinite(min);
  const hasMax = max !== undefined && Number.isFinite(max);
  if (hasMin && hasMax) return `from ${min} to ${max} `;
  if (hasMin) return `of at least ${min} `;
  if (hasMax) return `of at most ${max} `;
  return '';
}

/** A value as it reads in a message: JSON where it can be, cut short. */
function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
