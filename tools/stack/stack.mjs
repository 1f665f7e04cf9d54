#!/usr/bin/env node
// npm run stack:up | stack:down | stack:status [-- --json]
// See stack-lib.mjs for what the stack is; this file only parses the
// command line, prints and sets the exit code.

import {
  ConfigError, StackError, stackDown, stackStatus, stackUp, startCassandra, startKafka,
} from './stack-lib.mjs';

const USAGE = `Usage: node tools/stack/stack.mjs <up|down|status> [kafka|cassandra] [--json]

  up       start Kafka and Cassandra (if not running) and wait until both answer
  down     stop them (SIGTERM, then SIGKILL after 30 s)
  status   show whether each is running and answering; exit 0 only if both are
           --json prints the status as JSON
  Naming one server (e.g. "down cassandra") starts or stops only that one.

Environment: USERSTREAM_STACK_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT,
CASSANDRA_PORT, CASSANDRA_STORAGE_PORT, STACK_START_TIMEOUT_MS,
STACK_STOP_TIMEOUT_MS, JAVA_HOME (must be a JDK 17).`;

const STATE_TEXT = {
  ready: 'is running and answering',
  'not-ready': 'is running but not answering yet',
  stopped: 'is stopped',
};

const START_ONE = { kafka: startKafka, cassandra: startCassandra };

async function main(argv) {
  const [command, ...rest] = argv;
  const flags = rest.filter((arg) => arg.startsWith('--'));
  const names = rest.filter((arg) => !arg.startsWith('--'));
  const unknown = names.find((name) => !(name in START_ONE));
  if (unknown) {
    console.error(`There is no server called "${unknown}"; name kafka or cassandra.`);
    return 2;
  }
  switch (command) {
    case 'up':
      return up(names);
    case 'down':
      await stackDown({ servers: names.length > 0 ? names : undefined });
      return 0;
    case 'status':
      return status(flags.includes('--json'));
    default:
      console.error(USAGE);
      return command ? 2 : 0;
  }
}

async function up(names) {
  // Ctrl-C while waiting stops what this `up` started instead of leaving
  // half-started JVMs behind.
  const abort = new AbortController();
  const onSignal = () => {
    console.error('Interrupted; stopping what was started...');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (names.length === 1) await START_ONE[names[0]]({ signal: abort.signal });
    else await stackUp({ signal: abort.signal });
    return 0;
  } catch (error) {
    if (!abort.signal.aborted) throw error;
    return 130; // the shell's code for "ended by Ctrl-C"
  }
}

async function status(asJson) {
  const result = await stackStatus();
  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    for (const server of Object.values(result.servers)) console.log(describe(server));
  }
  return result.ready ? 0 : 1;
}

function describe(server) {
  const where = server.state === 'stopped' ? '' : ` on ${server.address} (pid ${server.pid})`;
  const version = server.version ? `, version ${server.version}` : '';
  return `${server.title} ${STATE_TEXT[server.state]}${where}${version}.`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const expected = error instanceof StackError || error instanceof ConfigError;
    console.error(expected ? `Error: ${error.message}` : error);
    process.exit(1);
  },
);
