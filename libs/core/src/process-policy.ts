import { describeError } from './errors';
import type { Logger } from './logger';

/** Options for {@link installCrashPolicy}. */
export interface CrashPolicyOptions {
  logger: Logger;
  /** Closes what can be closed (the HTTP server, clients) before the exit; bounded by `timeoutMs`. */
  close?: () => Promise<unknown>;
  /** Bound on `close`, in milliseconds. Default 5 000. */
  timeoutMs?: number;
  /** Ends the process; injectable for tests. Default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * The process-wide policy for errors nothing caught: an unhandled promise
 * rejection or an uncaught exception is logged once (as `fatal`, with the
 * error's message and stack), what can be closed is closed within
 * `timeoutMs`, and the process exits with code 1. A process in an unknown
 * state does not go on serving; a supervisor restarts it. Request handlers
 * must catch their own errors, so a request never gets here.
 *
 * Returns a function that removes the handlers.
 */
export function installCrashPolicy(options: CrashPolicyOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 5000;
  let exiting = false;
  const onFatal = (kind: 'unhandledRejection' | 'uncaughtException') => (error: unknown) => {
    const fields = { kind, err: describeError(error), stack: error instanceof Error ? error.stack : undefined };
    if (options.logger.fatal) options.logger.fatal(fields, 'unhandled error, exiting');
    else options.logger.error(fields, 'unhandled error, exiting');
    if (exiting) return;
    exiting = true;
    if (!options.close) {
      exit(1);
      return;
    }
    const timer = setTimeout(() => exit(1), timeoutMs);
    timer.unref();
    options
      .close()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        exit(1);
      });
  };
  const onRejection = onFatal('unhandledRejection');
  const onException = onFatal('uncaughtException');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
