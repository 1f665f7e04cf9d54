/** One log method: pino's `(obj, msg)` and `(msg)` call shapes. */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/**
 * The logger the libraries accept: a structural subset of pino's `Logger`, so
 * a pino instance fits as it is and tests can pass a small fake.
 */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal?: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = () => undefined;

/** A logger that drops everything; the libraries' default. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLogger,
};

/** A child logger tagged with `component`, or the silent logger when none was given. */
export function componentLogger(logger: Logger | undefined, component: string): Logger {
  return (logger ?? silentLogger).child({ component });
}
