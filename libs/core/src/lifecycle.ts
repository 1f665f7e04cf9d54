import type { Logger } from './logger';

/** Anything that can be closed on shutdown (a NestJS app, a server, a client). */
export interface Closeable {
  close(): Promise<unknown>;
}

/** Options for {@link handleShutdown}. */
export interface ShutdownOptions {
  logger: Logger;
  /** Upper bound for a graceful close before the process exits with code 1. Default 25 000 ms. */
  timeoutMs?: number;
  /** Signals that start the shutdown. Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /** Ends the process; injectable for tests. Default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * Installs signal handlers that close `target` once and exit 0 when it
 * closes in time, or 1 when it fails or runs past the deadline. A second
 * signal while closing exits at once with code 1.
 *
 * Unlike NestJS's own shutdown hooks, which re-raise the signal after closing
 * (exit code 143), this ends the process with 0 after a clean stop, which is
 * what process supervisors and `docker stop` expect.
 */
export function handleShutdown(target: Closeable, options: ShutdownOptions): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 25_000;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      options.logger.warn({ signal }, 'second signal during shutdown, exiting now');
      exit(1);
      return;
    }
    closing = true;
    options.logger.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      options.logger.error({ timeoutMs }, 'shutdown timed out');
      exit(1);
    }, timeoutMs);
    timer.unref();
    target.close().then(
      () => {
        clearTimeout(timer);
        options.logger.info('stopped');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
