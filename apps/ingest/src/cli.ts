import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DEFAULT_REDACT_PATHS, describeError, type Logger } from '@userstream/core';
import { loadIngestConfig } from './app.config';
import { formatProgress, formatSummary, type ProgressView } from './cli/cli.format';
import { InvalidRunParamsError, resolveRunParams, type RunParams } from '@userstream/ingest-contract';
import { RunFactory } from './runs/run.factory';

const USAGE = `Usage: node dist/cli.js --records N | --duration SECONDS [options]
       npx nx run @userstream/ingest:once -- --records 10000

One ingest run from the randomuser API into Kafka, with the app's configuration
(environment variables, see the README). Exits 0 when the run succeeded, 1 when it
failed (the reason is printed), 2 for bad options, 130 when cancelled with Ctrl-C.

Options:
  --records N          stop after N users (1 to 10000000)
  --duration SECONDS   stop after this many seconds
  --rate N             target records per second
  --seed TEXT          randomuser seed (default: random); same seed and pages = same users
  --start-page N       first page of the seed (default 1)
  --page-size N        users per API request (default INGEST_PAGE_SIZE, 1000)
  --nat LIST           nationalities, e.g. gb,us
  --encoding NAME      avro | confluent | json (default INGEST_ENCODING)
  --json               print the final run status as JSON instead of the summary
  --help               this text
`;

const FLAGS: Record<string, string> = {
  records: '--records',
  durationSeconds: '--duration',
  rate: '--rate',
  seed: '--seed',
  startPage: '--start-page',
  pageSize: '--page-size',
  nat: '--nat',
  encoding: '--encoding',
};

class UsageError extends Error {}

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${name} must be a number (got ${JSON.stringify(raw)})`);
  return value;
}

/** The run body from command-line arguments. */
function parseCommandLine(argv: string[]): { body: Record<string, unknown>; json: boolean; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        records: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        seed: { type: 'string' },
        'start-page': { type: 'string' },
        'page-size': { type: 'string' },
        nat: { type: 'string' },
        encoding: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(describeError(error));
  }
  const body: Record<string, unknown> = {
    records: numberOption('--records', values.records),
    durationSeconds: numberOption('--duration', values.duration),
    rate: numberOption('--rate', values.rate),
    seed: values.seed,
    startPage: numberOption('--start-page', values['start-page']),
    pageSize: numberOption('--page-size', values['page-size']),
    nat: values.nat,
    encoding: values.encoding,
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return { body, json: values.json === true, help: values.help === true };
}

/** Says a parameter's problem with the command-line flag instead of the API name. */
function asFlags(message: string): string {
  return message.replace(/^(\w+)/, (name) => FLAGS[name] ?? name);
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`ingest once: ${describeError(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadIngestConfig(process.env);
  let params: RunParams;
  try {
    params = resolveRunParams(parsed.body, { encoding: config.encoding, pageSize: config.pageSize, schemaRegistry: config.schemaRegistryUrl !== undefined });
  } catch (error) {
    if (!(error instanceof InvalidRunParamsError)) throw error;
    process.stderr.write(`ingest once: ${asFlags(error.message)}\n\n${USAGE}`);
    return 2;
  }

  // Logs go to stderr so stdout holds only the summary; quiet unless LOG_LEVEL asks for more.
  const logger = pino(
    { name: 'ingest-once', level: process.env['LOG_LEVEL'] ? config.logLevel : 'warn', redact: { paths: [...DEFAULT_REDACT_PATHS], censor: '<redacted>' } },
    pino.destination(2),
  ) as pino.Logger & Logger;
  const factory = new RunFactory(config, logger);
  const run = factory.createRun(randomUUID(), params);

  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const view = (): ProgressView => ({ status: run.status(), elapsedMs: performance.now() - started, width: process.stderr.columns ?? 80 });
  const progress = setInterval(
    () => {
      if (tty) process.stderr.write(`\r\x1b[2K${formatProgress(view(), true)}`);
      else process.stderr.write(`${formatProgress(view(), false)}\n`);
    },
    tty ? 200 : 5000,
  );

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      process.stderr.write(`\ningest once: ${signal} again, exiting without waiting for the flush\n`);
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write(`${tty ? '\n' : ''}ingest once: ${signal}: cancelling (stop fetching, flush what is in flight); press Ctrl-C again to quit at once\n`);
    run.cancel(`cancelled: ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const status = await run.start();
  clearInterval(progress);
  if (tty) process.stderr.write(`\r\x1b[2K${formatProgress(view(), true)}\n`);
  try {
    await factory.close(config.shutdownTimeoutMs);
  } catch (error) {
    process.stderr.write(`ingest once: closing the clients: ${describeError(error)}\n`);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const elapsedMs = performance.now() - started;
  if (parsed.json) process.stdout.write(`${JSON.stringify({ ...status, seconds: elapsedMs / 1000 }, null, 2)}\n`);
  else process.stdout.write(formatSummary(status, elapsedMs, factory.topic));
  if (status.state === 'succeeded') return 0;
  if (status.state === 'failed') process.stderr.write(`ingest once: run failed: ${status.error ?? 'unknown reason'}\n`);
  return status.state === 'cancelled' ? 130 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ingest once: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
