import pino from 'pino';
import type { Logger } from './logger';

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Name bound to every line, e.g. the app name. */
  name: string;
  /** pino level. Default `info`. */
  level?: string;
  /** Human-readable output through pino-pretty (install it yourself); meant for a TTY in development. */
  pretty?: boolean;
  /** Extra paths to redact, in pino's path syntax. */
  redact?: string[];
}

/** Paths redacted from every log line: credentials never reach the logs. */
export const DEFAULT_REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'sasl.password',
  'credentials',
  '*.credentials',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * The root pino logger of an app: JSON lines by default, secrets redacted,
 * pretty output only when asked (e.g. on a TTY in development).
 */
export function createLogger(options: CreateLoggerOptions): pino.Logger & Logger {
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: [...DEFAULT_REDACT_PATHS, ...(options.redact ?? [])], censor: '<redacted>' },
    ...(options.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  }) as pino.Logger & Logger;
}

/**
 * Adapts a logger to the `LoggerService` shape NestJS expects (`log`,
 * `error`, `warn`, `debug`, `verbose`), so framework messages go through pino.
 */
export function nestLoggerAdapter(logger: Logger) {
  const ctx = (optional: unknown[]) => {
    const context = optional.length > 0 && typeof optional[optional.length - 1] === 'string' ? optional[optional.length - 1] : undefined;
    return context === undefined ? {} : { context };
  };
  const text = (message: unknown) => (typeof message === 'string' ? message : JSON.stringify(message));
  return {
    log: (message: unknown, ...optional: unknown[]) => logger.info(ctx(optional), text(message)),
    error: (message: unknown, ...optional: unknown[]) =>
      logger.error({ ...ctx(optional), trace: optional.length > 1 ? optional[0] : undefined }, text(message)),
    warn: (message: unknown, ...optional: unknown[]) => logger.warn(ctx(optional), text(message)),
    debug: (message: unknown, ...optional: unknown[]) => logger.debug(ctx(optional), text(message)),
    verbose: (message: unknown, ...optional: unknown[]) => logger.trace(ctx(optional), text(message)),
    fatal: (message: unknown, ...optional: unknown[]) => logger.error(ctx(optional), text(message)),
  };
}
